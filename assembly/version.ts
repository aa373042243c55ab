// The policy's version: one place for source_info.version in every transaction and the client's User-Agent.
export const POLICY_VERSION = "1.0.0";
