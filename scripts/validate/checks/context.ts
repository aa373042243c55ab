// What every check is given: the options, the way to report a finding, the resources found in the
// input, the binding being checked, and the helpers that read a resource's namespace and name.
import { DEFAULT_NAMESPACE } from "../../bundle.mjs";
import type { Doc, Finding, Position, Severity } from "../source.ts";

export interface Options {
  /** Report placeholder values left in as info instead of errors (pristine bundles, CI of this repo). */
  allowPlaceholders?: boolean;
  /** ApiInstance names known to exist elsewhere (e.g. in the cluster), as "name" or "namespace/name". */
  apiInstances?: string[];
  /** Base for the file names shown in findings (default: the current directory). */
  cwd?: string;
  /**
   * cequenceClientSecret may still hold the bundle's placeholder (REPLACE_WITH_CEQUENCE_CLIENT_SECRET):
   * the copy in Git, whose secret a pipeline writes in at deploy time. Reported as info, not an error.
   */
  secretRenderedAtDeploy?: boolean;
}

export type At = (severity: Severity, code: string, d: Doc, path: (string | number)[], message: string, fix: string, key?: boolean) => void;
export type Add = (severity: Severity, code: string, file: string, pos: Position, message: string, fix: string) => void;

export interface WasmFile { src: string; display: string; bytes: Buffer; size: number }

export interface ConfigSchema { properties: Record<string, any>; required: string[] }

/** The input, sorted into what the checks look at. */
export interface Inputs {
  /** Every YAML/JSON document read. */
  docs: Doc[];
  /** The documents that are resources (a kind and a metadata map). */
  resources: Doc[];
  /** The Flex Gateway resources (apiVersion gateway.mulesoft.com/…). */
  flex: Doc[];
  /** The Cequence policy definition, when the input has it. */
  definition: Doc | undefined;
  implementations: Doc[];
  /** The PolicyBindings of the Cequence policy. */
  bindings: Doc[];
  services: Doc[];
  apiInstances: Doc[];
  configMaps: Doc[];
  wasmFiles: WasmFile[];
}

export interface Context {
  options: Options;
  findings: Finding[];
  add: Add;
  /** Reports a finding at the node of `path` in `d` (its key with `key`). */
  at: At;
  inputs: Inputs;
  /** The schema spec.config is checked against: the definition's, else the repository's. */
  schema: ConfigSchema;
}

/** One PolicyBinding with a spec.config map, as every per-binding check sees it. */
export interface Binding {
  b: Doc;
  bname: string;
  config: Record<string, any>;
  /** The path of spec.config in `b`. */
  cfg: string[];
  /** cequenceAuthEnabled, or its default. */
  authEnabled: unknown;
  /** serviceNamespace, or its default. */
  ns: string;
}

export const MiB = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;

function levenshtein(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[n];
}

/** The closest candidate to `name`, if it is close enough to be a typo. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) {
    const d = c.toLowerCase() === name.toLowerCase() ? 0.5 : levenshtein(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

export const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);
export const nsOf = (d: Doc): string => (isObj(d.js?.metadata) && typeof d.js.metadata.namespace === "string" ? d.js.metadata.namespace : DEFAULT_NAMESPACE);
export const nameOf = (d: Doc): string | undefined => (isObj(d.js?.metadata) && typeof d.js.metadata.name === "string" ? d.js.metadata.name : undefined);
export const describe = (d: Doc) => `${d.js.kind} ${nsOf(d)}/${nameOf(d) ?? "?"}`;
export const where = (d: Doc, path: (string | number)[] = []) => { const p = d.at(path); return `${d.src.display}:${p.line}`; };
