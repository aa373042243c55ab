// The policy's version: one place for source_info.version in every transaction and the client's User-Agent.
import { msg } from "./literals";

export const POLICY_VERSION = "1.0.0";
/** The User-Agent of every call the client makes (token requests and Edge posts). */
export const USER_AGENT = msg("cequence-flex-gateway-policy/") + POLICY_VERSION;
