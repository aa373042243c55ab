// Preflight validator for the Cequence policy in a Flex Gateway (local mode) configuration: reads a
// configuration directory, a bundle folder or single files, and reports every mistake of the guide's
// troubleshooting table that can be seen before deploying, each with file:line and the fix.
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, isSeq, parse as parseYaml, visit, type Node } from "yaml";
import Ajv, { type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import {
  AUTH_SERVICE, EDGE_SERVICE, DEFINITION_NAME, IMPLEMENTATION_NAME, BINDING_NAME, PLACEHOLDERS, K8S_WASM_PATH,
  WASM_CONFIGMAP_NAME, WASM_CONFIGMAP_KEY, WASM_MOUNT_DIR, CONFIGMAP_MAX_BYTES, DEFAULT_NAMESPACE,
} from "../bundle.mjs";
import { loadConfigSchema } from "../config-fields.mjs";
import { Doc, Source, binaryOffset, parseYamlFile, type Finding, type Position, type Severity } from "./source.ts";
import { checkCompose, checkDockerRun, isComposeDoc, isDockerRunText } from "./docker.ts";

export type { Finding, Severity } from "./source.ts";

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

export interface Result {
  files: string[];
  findings: Finding[];
  errors: number;
  warnings: number;
  infos: number;
}

const YAML_EXT = new Set([".yaml", ".yml", ".json"]);
const TEXT_EXT = new Set([".sh", ".bash", ".txt", ".cmd", ".command", ""]);
const FLEX_API = /^gateway\.mulesoft\.com\//;
const MiB = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;

// ---------------------------------------------------------------------------------------------------
// Input collection

/** Larger YAML/JSON files are not read: no Flex configuration file comes near (the ConfigMap holding
 *  the module is under 1.4 MiB, as Kubernetes caps it at 1 MiB of data). Bounds time and memory. */
export const MAX_YAML_BYTES = 4 * 1048576;
/** A .wasm file larger than this is reported from its size alone (the ConfigMap limit is 1 MiB). */
const MAX_WASM_READ = 8 * 1048576;

const CONFIG_EXT = (f: string) => { const e = extname(f).toLowerCase(); return YAML_EXT.has(e) || e === ".wasm"; };

interface InputProblem { file: string; message: string; fix: string }

function statOf(path: string): { st?: Stats; err?: NodeJS.ErrnoException } {
  try { return { st: statSync(path) }; } catch (e) { return { err: e as NodeJS.ErrnoException }; }
}

function unreadable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ELOOP": return "it is a symbolic link that loops (ELOOP)";
    case "ENOENT": return "it is a symbolic link to nothing (ENOENT)";
    case "EACCES": case "EPERM": return `it cannot be read (${err.code}: permission denied)`;
    case "EISDIR": return "it is a directory, not a file";
    default: return `it cannot be read (${err.code ?? err.message})`;
  }
}

function collectFiles(paths: string[], cwd: string): { files: string[]; missing: string[]; problems: InputProblem[] } {
  const files: string[] = [], missing: string[] = [], problems: InputProblem[] = [];
  const notFile = (file: string, what: string) =>
    problems.push({ file, message: `${basename(file)} is ${what}, not a regular file: it was not checked`, fix: "pass the configuration files themselves (YAML, JSON, cequence_policy.wasm, docker run scripts), or the directory that holds them" });
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const { st, err } = statOf(abs);
    if (err) {
      // A broken or looping symbolic link still exists as a link.
      let link = false;
      try { link = lstatSync(abs).isSymbolicLink(); } catch { /* not there at all */ }
      if (!link && err.code === "ENOENT") { missing.push(p); continue; }
      problems.push({ file: abs, message: `${p}: ${unreadable(err)}`, fix: "pass a readable file or directory (check the link target and the permissions)" });
      continue;
    }
    if (st!.isDirectory()) {
      // One level, as Flex Gateway reads conf.d/ and as the bundle folders are laid out.
      let names: string[];
      try { names = readdirSync(abs).sort(); } catch (e) {
        problems.push({ file: abs, message: `${p}: the directory ${unreadable(e as NodeJS.ErrnoException)}`, fix: "make the directory readable, or pass the files themselves" });
        continue;
      }
      for (const f of names) {
        const full = join(abs, f);
        const ext = extname(f).toLowerCase();
        const wanted = YAML_EXT.has(ext) || ext === ".wasm" || TEXT_EXT.has(ext);
        const r = statOf(full);
        if (r.err) {
          // A link that loops or points nowhere: reported when its name says it is configuration.
          if (CONFIG_EXT(f)) problems.push({ file: full, message: `${f}: ${unreadable(r.err)}`, fix: "replace the link with the file, or remove it from the directory" });
          continue;
        }
        if (r.st!.isFile()) { if (wanted) files.push(full); continue; }
        if (CONFIG_EXT(f)) notFile(full, r.st!.isDirectory() ? "a directory" : r.st!.isFIFO() ? "a named pipe" : r.st!.isSocket() ? "a socket" : "a device or other special file");
      }
    } else if (st!.isFile()) files.push(abs);
    else notFile(abs, st!.isFIFO() ? "a named pipe" : st!.isSocket() ? "a socket" : "a device or other special file");
  }
  return { files: [...new Set(files)], missing, problems };
}

/** Reads a file that was a regular file when listed, at most `limit` bytes (its stat size is not trusted:
 *  /proc files say 0); the reason instead when it cannot be opened or read. */
function readInput(file: string, limit: number): { bytes?: Buffer; error?: string } {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const chunks: Buffer[] = [];
    let got = 0;
    while (got < limit) {
      const buf = Buffer.alloc(Math.min(65536, limit - got));
      const r = readSync(fd, buf, 0, buf.length, got);
      if (r === 0) break;
      chunks.push(buf.subarray(0, r));
      got += r;
    }
    return { bytes: Buffer.concat(chunks) };
  } catch (e) {
    return { error: unreadable(e as NodeJS.ErrnoException) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers

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

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);
const nsOf = (d: Doc): string => (isObj(d.js?.metadata) && typeof d.js.metadata.namespace === "string" ? d.js.metadata.namespace : DEFAULT_NAMESPACE);
const nameOf = (d: Doc): string | undefined => (isObj(d.js?.metadata) && typeof d.js.metadata.name === "string" ? d.js.metadata.name : undefined);
const describe = (d: Doc) => `${d.js.kind} ${nsOf(d)}/${nameOf(d) ?? "?"}`;
const where = (d: Doc, path: (string | number)[] = []) => { const p = d.at(path); return `${d.src.display}:${p.line}`; };

/**
 * Why a value looks like a template placeholder nobody rendered, or undefined: `${…}` (shell, envsubst,
 * Helm-style), `$VAR`, `<…>`, or REPLACE_…. Flex Gateway does not substitute anything in a
 * PolicyBinding's spec.config (its documentation describes no such substitution): the text reaches the
 * policy as written, so an unrendered secret is sent to the token endpoint literally (401 forever).
 */
export function unrenderedReason(v: string): string | undefined {
  const t = v.trim();
  if (/\$\{[^}]*\}?/.test(t)) return "it holds a ${…} template expression";
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(t) || /^\$env[.:]/i.test(t)) return "it is a $VARIABLE reference";
  if (/^<[^>]*>$/.test(t)) return "it is a <placeholder>";
  if (/REPLACE_/.test(t)) return "it is a REPLACE_… placeholder";
  return undefined;
}

/** The fields that carry credentials: an unrendered placeholder there is always an error. */
export const CREDENTIAL_FIELDS = ["cequenceClientId", "cequenceClientSecret"] as const;

const PLACEHOLDER_VALUES = Object.values(PLACEHOLDERS) as string[];
/** Why a value looks like a placeholder an operator forgot to replace, or undefined. */
export function placeholderReason(v: string): string | undefined {
  if (PLACEHOLDER_VALUES.includes(v)) return "it is the bundle's placeholder";
  if (/REPLACE/.test(v)) return "it contains REPLACE";
  if (/(^|[/.@])example\.(com|org|net)(?=$|[:/?#])/i.test(v)) return "it uses the example.com domain";
  if (/\byour[-_ ](cequence|api|realm|tenant|namespace)/i.test(v)) return "it contains a your-… placeholder";
  const u = unrenderedReason(v);
  if (u) return u;
  return undefined;
}

/** How to keep the client secret out of Git, verifiably (shared by every finding about the secret). */
export const SECRET_ADVICE =
  "keep the bundle's placeholder in Git and write the secret into a copy of cequence_binding.yaml at deploy time, " +
  "from a CI secret (examples/github-actions/deploy-cequence-policy.yaml renders it with yq into $RUNNER_TEMP) or a Kubernetes Secret " +
  "(kubectl get secret … -o jsonpath), in a file only the deploying user can read (umask 077 or chmod 600); apply it, delete it, " +
  "and never commit the rendered file";

// ---------------------------------------------------------------------------------------------------
// The validator

export function validate(paths: string[], options: Options = {}): Result {
  const cwd = options.cwd ?? process.cwd();
  const findings: Finding[] = [];
  const add = (severity: Severity, code: string, file: string, pos: Position, message: string, fix: string) =>
    findings.push({ severity, code, file, line: pos.line, column: pos.column, message, fix });
  const at = (severity: Severity, code: string, d: Doc, path: (string | number)[], message: string, fix: string, key = false) =>
    add(severity, code, d.src.display, key ? d.keyAt(path) : d.at(path), message, fix);
  const placeholderSeverity: Severity = options.allowPlaceholders ? "info" : "error";

  const { files, missing, problems } = collectFiles(paths, cwd);
  for (const m of missing) add("error", "input-missing", m, { line: 1, column: 1 }, `no such file or directory: ${m}`, "pass a Flex Gateway configuration directory, a bundle folder, or the files themselves");
  for (const p of problems) add("error", "input-unreadable", relative(cwd, p.file) || basename(p.file), { line: 1, column: 1 }, p.message, p.fix);

  const docs: Doc[] = [];
  const wasmFiles: { src: string; display: string; bytes: Buffer; size: number }[] = [];
  for (const file of files) {
    const display = relative(cwd, file) || basename(file);
    const ext = extname(file).toLowerCase();
    const cannotRead = (error: string) => add("error", "input-unreadable", display, { line: 1, column: 1 }, `${basename(file)}: ${error}: it was not checked`, "make the file readable by the user running the validator (or pass another copy)");
    if (ext === ".wasm") {
      const size = statOf(file).st?.size ?? 0;
      const head = readInput(file, size > MAX_WASM_READ ? 8 : MAX_WASM_READ);
      if (head.error) { cannotRead(head.error); continue; }
      wasmFiles.push({ src: file, display, bytes: head.bytes!, size });
      continue;
    }
    const isYaml = YAML_EXT.has(ext);
    const size = statOf(file).st?.size ?? 0;
    if (size > MAX_YAML_BYTES) {
      if (isYaml) {
        add("error", "file-too-large", display, { line: 1, column: 1 },
          `${basename(file)} is ${size} bytes (${MiB(size)}), more than any Flex Gateway configuration file (the validator reads at most ${MiB(MAX_YAML_BYTES)}): it was not checked`,
          "pass the configuration files only; a file this large is not a policy resource (the module's ConfigMap manifest is under 1.4 MiB, as Kubernetes limits ConfigMaps to 1 MiB)");
      }
      continue; // a large text file is not a docker run script either
    }
    const r = readInput(file, MAX_YAML_BYTES);
    if (r.error) { cannotRead(r.error); continue; }
    const text = r.bytes!.toString("utf8");
    if (isYaml) {
      const src = new Source(file, display, text);
      const bin = binaryOffset(text);
      if (bin >= 0) {
        add("error", "not-text", display, src.indexLines().pos(bin),
          `${basename(file)} is not a text file (${text[bin] === "\0" ? "a NUL byte" : "bytes that are not UTF-8"} here): ${ext === ".json" ? "JSON" : "YAML"} expected`,
          "put the YAML (or JSON) resource in this file; a binary (e.g. cequence_policy.wasm) belongs in its own .wasm file or in the ConfigMap manifest");
        continue;
      }
      const parsed = parseYamlFile(src);
      for (const e of parsed.errors) {
        if (e.code === "ALIAS_COUNT") {
          add("error", "yaml-aliases", display, e.pos, `YAML refused: ${e.message}`, "write the values out instead of through anchors and aliases (*name); a configuration file needs few, if any");
          continue;
        }
        add("error", "yaml-parse", display, e.pos, `${ext === ".json" ? "JSON" : "YAML"} does not parse: ${e.message}`,
          "fix the syntax at or just after this line (indentation with spaces only, a space after each ':' and '-', brackets and quotes closed); yamllint <file> shows the details");
      }
      for (const w of parsed.warnings) add("warning", "yaml-warning", display, w.pos, `YAML: ${w.message}`, "rewrite the value so that it parses without ambiguity");
      docs.push(...parsed.docs);
      continue;
    }
    // Plain text: a docker run command file is the only kind we check; anything else is passed over.
    if (binaryOffset(text) >= 0) continue;
    if (isDockerRunText(text)) findings.push(...checkDockerRun(new Source(file, display, text).indexLines()));
  }

  for (const d of docs) if (isComposeDoc(d)) findings.push(...checkCompose(d));

  const resources = docs.filter((d) => isObj(d.js) && typeof d.js.kind === "string" && isObj(d.js.metadata));
  checkDuplicates(resources, at);

  const flex = resources.filter((d) => typeof d.js.apiVersion === "string" && FLEX_API.test(d.js.apiVersion));
  const extensions = flex.filter((d) => d.js.kind === "Extension");
  const extendsOf = (d: Doc): string[] => (Array.isArray(d.js.spec?.extends) ? d.js.spec.extends.map((e: any) => e?.name).filter((n: any) => typeof n === "string") : []);
  const definition = extensions.find((d) => nameOf(d) === DEFINITION_NAME) ??
    extensions.find((d) => extendsOf(d).includes("extension-definition") && isObj(d.js.spec?.properties) && "cequenceAuthUrl" in d.js.spec.properties);
  const defName = definition ? nameOf(definition)! : DEFINITION_NAME;
  const implementations = extensions.filter((d) => extendsOf(d).includes(defName));
  const implNames = new Set([IMPLEMENTATION_NAME, ...implementations.map((d) => nameOf(d)!)]);
  const bindings = flex.filter((d) => d.js.kind === "PolicyBinding" &&
    (nameOf(d) === BINDING_NAME || implNames.has(d.js.spec?.policyRef?.name)));
  const services = flex.filter((d) => d.js.kind === "Service");
  const apiInstances = flex.filter((d) => d.js.kind === "ApiInstance");
  const configMaps = resources.filter((d) => d.js.kind === "ConfigMap");

  const schema = configSchema(definition);
  const configMapNamespaces = new Set<string>();
  const validateConfig = compile(schema);

  for (const b of bindings) {
    const bname = nameOf(b)!;
    const config = b.js.spec?.config;
    if (!isObj(config)) {
      at("error", "config-missing", b, ["spec", "config"], `PolicyBinding ${bname} has no spec.config map`, "add spec.config with at least cequenceAuthUrl and cequenceEdgeUrl (see cequence_binding.yaml as built)");
      continue;
    }
    const cfg = ["spec", "config"];

    // Types, bounds, formats and unknown fields: JSON Schema of the definition (or schema/config.schema.json).
    if (!validateConfig(config)) {
      for (const e of validateConfig.errors ?? []) reportSchemaError(e, b, cfg, config, schema, at);
    }
    checkUrls(b, cfg, config, at);

    // Inverted status range.
    const min = config.cequenceMinStatusCode ?? schema.properties.cequenceMinStatusCode?.default;
    const max = config.cequenceMaxStatusCode ?? schema.properties.cequenceMaxStatusCode?.default;
    if (Number.isInteger(min) && Number.isInteger(max) && min > max) {
      const field = "cequenceMaxStatusCode" in config ? "cequenceMaxStatusCode" : "cequenceMinStatusCode";
      at("error", "status-range-inverted", b, [...cfg, field],
        `cequenceMinStatusCode (${min}) is greater than cequenceMaxStatusCode (${max}): no response would ever be captured`,
        `swap them (cequenceMinStatusCode: ${max}, cequenceMaxStatusCode: ${min}), or set the range you mean, e.g. 100 and 499 (599 to capture 5xx)`);
    }

    // Auth enabled without credentials.
    const authEnabled = config.cequenceAuthEnabled ?? schema.properties.cequenceAuthEnabled?.default ?? true;
    if (authEnabled === true) {
      const need: [string, string][] = [
        ["cequenceClientId", "the client ID from the Cequence UAP portal (General Settings > User Management > Clients)"],
        ["cequenceClientSecret", "the client secret shown when the client was created (written into the file at deploy time, not committed)"],
        ["cequenceAuthPath", "the token path, e.g. /auth/realms/<realm>/protocol/openid-connect/token"],
      ];
      for (const [field, what] of need) {
        const v = config[field];
        if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) {
          const path = field in config ? [...cfg, field] : "cequenceAuthEnabled" in config ? [...cfg, "cequenceAuthEnabled"] : cfg;
          at("error", "auth-credentials", b, path,
            `cequenceAuthEnabled is ${"cequenceAuthEnabled" in config ? "true" : "true by default"} but ${field} is ${v === undefined ? "missing" : "empty"}: every token request would fail and Edge would answer 401`,
            `set ${field} to ${what}; or set cequenceAuthEnabled: false if your Edge or Bridge accepts transactions without a token`, field in config);
        }
      }
    }

    // Credentials: an unrendered template is always an error (Flex Gateway substitutes nothing in
    // spec.config); a literal secret is fine in a rendered file only the deploying user can read.
    for (const field of CREDENTIAL_FIELDS) {
      const v = config[field];
      if (typeof v !== "string") continue;
      const reason = unrenderedReason(v);
      if (!reason) continue;
      const bundlePlaceholder = v === (field === "cequenceClientSecret" ? PLACEHOLDERS.clientSecret : PLACEHOLDERS.clientId);
      if (bundlePlaceholder) {
        // The bundle's own placeholder: the placeholder check below reports it (info with --allow-placeholders);
        // the secret's placeholder is expected in the copy in Git with --secret-rendered-at-deploy.
        continue;
      }
      at("error", "unrendered-placeholder", b, [...cfg, field],
        `${field} looks like an unrendered placeholder (${reason}): Flex Gateway does not substitute variables in a PolicyBinding's spec.config, so the policy would send this text as the ${field === "cequenceClientSecret" ? "client secret" : "client ID"} and every token request would be refused (401)`,
        field === "cequenceClientSecret" ? `write the real secret into the file at deploy time: ${SECRET_ADVICE}` : "set the client ID from the Cequence UAP portal (General Settings > User Management > Clients), or render it into the file before applying");
    }
    const secret = config.cequenceClientSecret;
    if (typeof secret === "string" && secret.trim() !== "" && !placeholderReason(secret)) {
      const mode = statOf(b.src.path).st?.mode;
      const shared = mode !== undefined && process.platform !== "win32" && (mode & 0o077) !== 0;
      if (shared) {
        at("warning", "literal-secret", b, [...cfg, "cequenceClientSecret"],
          `cequenceClientSecret is written literally in a file that other users can read (mode ${(mode! & 0o777).toString(8).padStart(4, "0")}): anyone who can read the file, or its Git history if it is committed, has the credential`,
          `${SECRET_ADVICE}; for a file that must stay on disk (Docker conf.d), chmod 600 it`);
      } else {
        at("info", "literal-secret", b, [...cfg, "cequenceClientSecret"],
          "cequenceClientSecret is written literally (the file is readable by its owner only)",
          "keep this rendered file out of Git and delete it after applying it");
      }
    }

    // Service addresses.
    const ns = typeof config.serviceNamespace === "string" ? config.serviceNamespace : (schema.properties.serviceNamespace?.default ?? DEFAULT_NAMESPACE);
    for (const [svcName, field] of [[AUTH_SERVICE, "cequenceAuthUrl"], [EDGE_SERVICE, "cequenceEdgeUrl"]] as const) {
      const url = config[field];
      if (svcName === AUTH_SERVICE && authEnabled === false && url === undefined) continue;
      const candidates = services.filter((s) => nameOf(s) === svcName);
      const svc = candidates.find((s) => nsOf(s) === ns) ?? candidates[0];
      if (!svc) {
        at("error", "service-missing", b, "spec" in b.js ? [...cfg, field] : [],
          `Service ${svcName} is not in the input: the policy sends to cluster ${svcName}.${ns}.svc, which would not exist (the call fails at once, nothing is sent)`,
          `add the ${svcName} Service (kind: Service, metadata.namespace: ${ns}, spec.address equal to ${field}) from cequence_binding.yaml as built`);
        continue;
      }
      const address = svc.js.spec?.address;
      if (typeof address !== "string" || address === "") {
        at("error", "service-address", svc, ["spec", "address"], `Service ${svcName} has no spec.address`, `set spec.address to the URL of your Cequence ${svcName === AUTH_SERVICE ? "authentication endpoint" : "Edge or Bridge"} (and the same value in ${field})`);
        continue;
      }
      if (typeof url === "string" && url !== address) {
        const near = url.replace(/\/+$/, "") === address.replace(/\/+$/, "") ? " (they differ only by a trailing slash)" : "";
        at("error", "url-mismatch", b, [...cfg, field],
          `${field} "${url}" is not equal to spec.address "${address}" of Service ${svcName} (${where(svc, ["spec", "address"])})${near}`,
          `make ${field} and the Service's spec.address exactly equal (same scheme, host, port and path); the policy finds the Service by this URL`);
      }
    }

    // serviceNamespace vs metadata.namespace of the Cequence resources. The policy calls clusters
    // <service>.<serviceNamespace>.svc, and Flex names a Service's cluster after its own namespace: the
    // namespace that counts is the one the Services are in (else the binding's).
    const used = [AUTH_SERVICE, EDGE_SERVICE].flatMap((n) => {
      const all = services.filter((s) => nameOf(s) === n);
      const here = all.filter((s) => nsOf(s) === ns);
      return here.length ? here : all;
    });
    const mine = [definition, ...implementations, ...used, b].filter((d): d is Doc => d !== undefined);
    const svcNs = [...new Set(used.map(nsOf))];
    const resourcesNs = svcNs.length === 1 ? svcNs[0] : nsOf(b);
    const nsPath = "serviceNamespace" in config ? [...cfg, "serviceNamespace"] : cfg;
    if (ns !== resourcesNs) {
      const inIt = mine.filter((d) => nsOf(d) === resourcesNs).map(describe);
      at("error", "namespace-mismatch", b, nsPath,
        `serviceNamespace mismatch: serviceNamespace is "${ns}"${"serviceNamespace" in config ? "" : " (the default)"} but the policy resources are in namespace "${resourcesNs}" (${inIt.join(", ")}): the policy would call clusters ${AUTH_SERVICE}.${ns}.svc and ${EDGE_SERVICE}.${ns}.svc, which do not exist`,
        `set serviceNamespace: ${resourcesNs}` + ("serviceNamespace" in config ? "" : " under spec.config") +
        `, or move everything to "${ns}" with ./update-namespace.sh ${ns} in the bundle folder (it sets every metadata.namespace and serviceNamespace together)`,
        false);
    }
    // Resources that disagree among themselves: each one away from the others is named at its namespace.
    for (const d of mine) {
      if (nsOf(d) === resourcesNs) continue;
      const loc = d.js.metadata && "namespace" in d.js.metadata ? ["metadata", "namespace"] : ["metadata"];
      at("error", "namespace-split", d, loc,
        `${describe(d)} is in namespace "${nsOf(d)}"${"namespace" in (d.js.metadata ?? {}) ? "" : " (the default)"} but the other Cequence resources are in "${resourcesNs}": the definition, implementation, Services and binding must share one namespace`,
        `set metadata.namespace: ${resourcesNs} here, or run ./update-namespace.sh <namespace> in the bundle folder to move every resource (and serviceNamespace) together`);
    }
    configMapNamespaces.add(resourcesNs);

    checkTargetRef(b, apiInstances, options.apiInstances ?? [], at);

    const policyRef = b.js.spec?.policyRef?.name;
    if (typeof policyRef !== "string") {
      at("error", "policyref", b, ["spec", "policyRef"], `PolicyBinding ${bname} has no spec.policyRef.name`, `set spec.policyRef: {kind: Extension, name: ${IMPLEMENTATION_NAME}}`);
    } else if (implementations.length > 0 && !implementations.some((i) => nameOf(i) === policyRef)) {
      const near = nearest(policyRef, implementations.map((i) => nameOf(i)!));
      at("error", "policyref", b, ["spec", "policyRef", "name"], `spec.policyRef names Extension "${policyRef}", which is not among the implementations in the input (${implementations.map((i) => nameOf(i)).join(", ")})`,
        near ? `did you mean "${near}"?` : `set it to ${IMPLEMENTATION_NAME}`);
    }
  }

  // The module's ConfigMap must be where the gateway pod is; the policy resources' namespace stands for it.
  if (configMapNamespaces.size === 1) {
    const [policyNs] = [...configMapNamespaces];
    for (const cm of configMaps.filter((c) => nameOf(c) === WASM_CONFIGMAP_NAME && nsOf(c) !== policyNs)) {
      at("warning", "configmap-namespace", cm, ["metadata", "namespace"],
        `ConfigMap ${WASM_CONFIGMAP_NAME} is in namespace "${nsOf(cm)}" but the policy resources are in "${policyNs}": a pod can only mount a ConfigMap of its own namespace`,
        `create it in the gateway pod's namespace, which should be the policy resources' one: ./update-namespace.sh ${policyNs} in policies-k8s/ (it moves the ConfigMap manifest too), or kubectl apply -n ${policyNs}`);
    }
  }

  // Placeholders left in any Cequence resource.
  // (The definition and implementation are generated and not edited: only the Services and bindings are scanned.)
  const cequenceDocs = [...services.filter((s) => [AUTH_SERVICE, EDGE_SERVICE].includes(nameOf(s)!)), ...bindings];
  for (const d of cequenceDocs) {
    visit(d.doc, {
      Scalar(_k, node, path) {
        if (typeof node.value !== "string" || !node.range) return;
        const reason = placeholderReason(node.value);
        if (!reason) return;
        // The pair holding this value names the field.
        const parent = path[path.length - 1] as any;
        const field = parent && parent.key && isScalar(parent.key) ? String(parent.key.value) : "value";
        if (parent?.key === node) return; // a key, not a value
        const credential = d.js.kind === "PolicyBinding" && (CREDENTIAL_FIELDS as readonly string[]).includes(field);
        // Reported above as unrendered-placeholder (an error whatever the options).
        if (credential && node.value !== PLACEHOLDERS.clientId && node.value !== PLACEHOLDERS.clientSecret && unrenderedReason(node.value)) return;
        if (credential && field === "cequenceClientSecret" && node.value === PLACEHOLDERS.clientSecret && options.secretRenderedAtDeploy) {
          add("info", "placeholder", d.src.display, d.src.pos(node.range[0]),
            `cequenceClientSecret holds the bundle's placeholder, to be written in at deploy time (--secret-rendered-at-deploy)`,
            "validate the rendered copy too, before applying it (without --secret-rendered-at-deploy)");
          return;
        }
        // A secret is never echoed, not even a placeholder-looking one.
        const shown = field === "cequenceClientSecret" && node.value !== PLACEHOLDERS.clientSecret ? "(value not shown)" : node.value;
        add(placeholderSeverity, "placeholder", d.src.display, d.src.pos(node.range[0]),
          `placeholder value left in ${describe(d)}: ${field}: ${shown} (${reason})`,
          placeholderFix(field) + (options.allowPlaceholders ? " (reported as info because of --allow-placeholders)" : ""));
      },
    });
  }

  checkWasmAndMounts(implementations, configMaps, docs, wasmFiles, at, add);

  if (bindings.length === 0 && flex.length + configMaps.length + wasmFiles.length > 0 && (definition || implementations.length)) {
    const d = definition ?? implementations[0];
    at("warning", "binding-missing", d, [], `the input has the Cequence ${definition ? "definition" : "implementation"} but no PolicyBinding using it: the policy would be loaded but applied to no API`,
      "add cequence_binding.yaml (the two Services and the PolicyBinding) to the input");
  }
  if (files.length > 0 && findings.length === 0 && resources.length === 0 && wasmFiles.length === 0 && !docs.some(isComposeDoc) && !files.some((f) => TEXT_EXT.has(extname(f)))) {
    add("info", "nothing-checked", relative(cwd, files[0]), { line: 1, column: 1 }, "no Flex Gateway resource, ConfigMap, compose file or docker run command found", "pass the bundle folder or the gateway's conf.d directory");
  }

  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return { files: files.map((f) => relative(cwd, f)), findings, errors: count("error"), warnings: count("warning"), infos: count("info") };
}

type At = (severity: Severity, code: string, d: Doc, path: (string | number)[], message: string, fix: string, key?: boolean) => void;
type Add = (severity: Severity, code: string, file: string, pos: Position, message: string, fix: string) => void;

function placeholderFix(field: string): string {
  switch (field) {
    case "address": return "set spec.address to the URL of your Cequence endpoint, and the same value in cequenceAuthUrl / cequenceEdgeUrl";
    case "cequenceAuthUrl": return "set it to the URL of your Cequence authentication endpoint, exactly equal to spec.address of cequence-auth-service";
    case "cequenceEdgeUrl": return "set it to the URL of your Cequence Edge or Bridge, exactly equal to spec.address of cequence-edge-service";
    case "cequenceClientId": return "set the client ID generated in the Cequence UAP portal (General Settings > User Management > Clients)";
    case "cequenceClientSecret": return `${SECRET_ADVICE} (pass --secret-rendered-at-deploy when validating the copy in Git, before the secret is written in)`;
    case "cequenceAuthPath": return "set the path of your Cequence token endpoint, e.g. /auth/realms/<realm>/protocol/openid-connect/token";
    case "name": return "set spec.targetRef.name to your ApiInstance's name (kubectl get apiinstances -n <ns>, or grep -r 'kind: ApiInstance' conf.d/), or use a label selector";
    default: return `replace ${field} with your environment's value`;
  }
}

// ---------------------------------------------------------------------------------------------------

function checkDuplicates(resources: Doc[], at: At) {
  const seen = new Map<string, Doc>();
  for (const d of resources) {
    const name = nameOf(d);
    if (!name) continue;
    const key = `${d.js.kind}\0${nsOf(d)}\0${name}`;
    const first = seen.get(key);
    if (!first) { seen.set(key, d); continue; }
    at("error", "duplicate-resource", d, ["metadata", "name"],
      `duplicate resource: ${describe(d)} is also defined at ${where(first, ["metadata", "name"])}; the gateway keeps only one of them, whichever it reads last`,
      "remove one copy (often an old file left beside the new one), or give them different names");
  }
}

interface ConfigSchema { properties: Record<string, any>; required: string[] }

/** The config schema: the definition's spec.properties when the definition is in the input, else the repo's schema. */
function configSchema(definition: Doc | undefined): ConfigSchema {
  if (definition && isObj(definition.js.spec?.properties)) {
    return { properties: definition.js.spec.properties, required: Array.isArray(definition.js.spec.required) ? definition.js.spec.required : [] };
  }
  const s = fallbackSchema();
  return { properties: s.properties, required: s.required ?? [] };
}

declare const __CEQUENCE_VALIDATE_BUNDLE__: boolean | undefined;
/** The file the bundled validator (cequence-validate.mjs, shipped in each bundle folder) reads its schema from. */
export const BESIDE_DEFINITION = "cequence_definition.yaml";

/**
 * The schema when the input has no definition: in the repository, schema/config.schema.json; in the
 * bundled validator, the definition shipped beside it (the same properties, written by the same build).
 */
function fallbackSchema(): { properties: Record<string, any>; required?: string[] } {
  if (typeof __CEQUENCE_VALIDATE_BUNDLE__ !== "undefined" && __CEQUENCE_VALIDATE_BUNDLE__) {
    const file = join(dirname(fileURLToPath(import.meta.url)), BESIDE_DEFINITION);
    let def: any;
    try { def = parseYaml(readFileSync(file, "utf8")); } catch (e) {
      throw new Error(`cannot read the policy definition beside the validator (${file}): ${(e as Error).message}; keep cequence-validate.mjs in its bundle folder, next to ${BESIDE_DEFINITION}`);
    }
    if (!isObj(def?.spec?.properties)) throw new Error(`${file} has no spec.properties: use the ${BESIDE_DEFINITION} of the bundle as built`);
    return { properties: def.spec.properties, required: Array.isArray(def.spec.required) ? def.spec.required : [] };
  }
  return loadConfigSchema();
}

function compile(schema: ConfigSchema) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile({ type: "object", properties: schema.properties, required: schema.required, additionalProperties: false });
}

// What each capture-control list requires of its entries (the schema's item patterns, in words).
const LIST_ENTRY_RULE: Record<string, string> = {
  cequenceExcludePaths: "is not a path: it must start with \"/\", and may hold * only as its last character (a prefix)",
  cequenceExcludeMethods: "is not an HTTP method (a token such as OPTIONS or HEAD)",
  cequenceRedactHeaders: "is not a header name that can be redacted (a token; pseudo-headers such as :path cannot be)",
  cequenceSkipBodyContentTypes: "is not a media type (type/subtype, or type/* for a whole type)",
};

function listEntryFix(field: string, v: string): string {
  switch (field) {
    case "cequenceExcludePaths": return v.startsWith("/") ? `keep * only at the end: "${v.slice(0, v.indexOf("*") + 1)}"` : `start it with "/": "/${v.replace(/^\/*/, "")}"`;
    case "cequenceExcludeMethods": return "write the method as sent, e.g. OPTIONS";
    case "cequenceRedactHeaders": return v.startsWith(":") ? "remove it: pseudo-headers are fields of the transaction (method, path, host, status), not headers" : "write the header name, e.g. Authorization";
    case "cequenceSkipBodyContentTypes": return "write e.g. image/png, or image/* for every image type";
    default: return "see the definition's spec.properties";
  }
}

function reportSchemaError(e: ErrorObject, b: Doc, cfg: string[], config: Record<string, any>, schema: ConfigSchema, at: At) {
  const field = e.instancePath.split("/")[1];
  // A list entry (capture controls): /<field>/<index>.
  const entry = e.instancePath.split("/")[2];
  const value = field !== undefined ? (entry !== undefined ? config[field]?.[Number(entry)] : config[field]) : undefined;
  const show = (v: unknown) => JSON.stringify(v);
  const p = field ? schema.properties[field] ?? {} : {};
  const bounds = p.minimum !== undefined && p.maximum !== undefined ? `between ${p.minimum} and ${p.maximum}` : p.minimum !== undefined ? `at least ${p.minimum}` : `at most ${p.maximum}`;
  switch (e.keyword) {
    case "additionalProperties": {
      const unknown = (e.params as any).additionalProperty as string;
      const near = nearest(unknown, Object.keys(schema.properties));
      at("error", "unknown-field", b, [...cfg, unknown],
        `unknown field "${unknown}": the definition's schema has no such field, so the policy ignores it`,
        near ? `did you mean "${near}"? rename the key` : "remove it; the known fields are the definition's spec.properties (see README, Configuration)", true);
      return;
    }
    case "required": {
      const missing = (e.params as any).missingProperty as string;
      at("error", "required-field", b, cfg, `required field ${missing} is missing from spec.config`, `add ${missing} (${schema.properties[missing]?.description ?? "see README, Configuration"})`);
      return;
    }
    case "type": {
      const want = (e.params as any).type;
      if (want === "array") {
        at("error", "type", b, [...cfg, field], `${field} must be a list of strings, got ${value === null ? "null" : typeof value} ${show(value)}`,
          `write a list: ${field}: [${show(typeof value === "string" ? value : "…")}]`);
        return;
      }
      if (entry !== undefined) {
        at("error", "type", b, [...cfg, field], `${field} entry ${entry} must be a string, got ${show(value)}`, `quote it: "${String(value)}"`);
        return;
      }
      let fix = `write a${want === "integer" ? "n" : ""} ${want}`;
      if (typeof value === "string" && want === "integer" && /^-?\d+$/.test(value.trim())) fix = `write ${value.trim()} without quotes`;
      else if (typeof value === "string" && want === "boolean" && /^(true|false)$/i.test(value.trim())) fix = `write ${value.trim().toLowerCase()} without quotes`;
      else if (want === "string" && value !== null && typeof value !== "object") fix = `quote the value: "${String(value)}"`;
      at("error", "type", b, [...cfg, field], `${field} must be ${want === "integer" ? "an integer" : `a ${want}`}, got ${value === null ? "null" : Array.isArray(value) ? "a list" : typeof value} ${show(value)}`, fix);
      return;
    }
    case "minimum": case "maximum": case "exclusiveMinimum": case "exclusiveMaximum":
      at("error", "out-of-range", b, [...cfg, field], `${field} is ${show(value)}, out of range: it must be ${bounds}`,
        field === "cequenceMaxStatusCode" || field === "cequenceMinStatusCode"
          ? `use an HTTP status ${bounds} (default ${p.default}); to capture 5xx responses set cequenceMaxStatusCode: 599`
          : `use a value ${bounds} (default ${p.default})`);
      return;
    case "format":
      at("error", "format", b, [...cfg, field], `${field} is not a valid ${(e.params as any).format}: ${show(value)}`, `write a full URL such as https://auth.<your-tenant>.cequence.ai`);
      return;
    case "pattern":
      if (entry !== undefined) {
        at("error", "pattern", b, [...cfg, field], `${field} entry ${entry} ${show(value)} ${LIST_ENTRY_RULE[field] ?? `does not match ${(e.params as any).pattern}`}`,
          listEntryFix(field, String(value)));
        return;
      }
      at("error", "pattern", b, [...cfg, field], `${field} ${show(value)} does not match ${(e.params as any).pattern}`,
        (e.params as any).pattern === "^/" ? `start the path with "/": "/${String(value).replace(/^\/*/, "")}"` : field === "serviceNamespace" ? "use a Kubernetes namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit" : `match ${(e.params as any).pattern}`);
      return;
    default:
      at("error", "schema", b, field ? [...cfg, field] : cfg, `${field ?? "spec.config"} ${e.message}`, "see the definition's spec.properties for the allowed values");
  }
}

function checkUrls(b: Doc, cfg: string[], config: Record<string, any>, at: At) {
  for (const f of ["cequenceAuthUrl", "cequenceEdgeUrl"]) {
    const v = config[f];
    if (typeof v === "string" && v !== "" && !unrenderedReason(v) && !/^https?:\/\/[^/]/i.test(v)) {
      at("error", "url-scheme", b, [...cfg, f], `${f} "${v}" is not an http:// or https:// URL`, `write the full URL with its scheme, e.g. https://${v.replace(/^[a-z]+:\/\//i, "")}`);
    }
  }
}

function checkTargetRef(b: Doc, apiInstances: Doc[], extra: string[], at: At) {
  const bname = nameOf(b)!;
  const tr = b.js.spec?.targetRef;
  const bns = nsOf(b);
  const inNs = apiInstances.filter((a) => nsOf(a) === bns);
  const extraNames = extra.map((e) => (e.includes("/") ? e : `${bns}/${e}`)).filter((e) => e.startsWith(bns + "/")).map((e) => e.slice(bns.length + 1));
  const known = [...inNs.map((a) => nameOf(a)!), ...extraNames];
  const listFix = `On Docker: grep -r "kind: ApiInstance" /etc/mulesoft/flex-gateway/conf.d/; on Kubernetes or ROSA: kubectl get apiinstances -n ${bns}`;
  if (!isObj(tr)) {
    at("error", "targetref", b, ["spec", "targetRef"], `PolicyBinding ${bname} has no spec.targetRef`, "add spec.targetRef: {kind: ApiInstance, name: <your API instance>} or a label selector");
    return;
  }
  const noneKnown = apiInstances.length === 0 && extra.length === 0;
  const skipNote = (what: string) =>
    at("info", "targetref-unchecked", b, ["spec", "targetRef"], `no ApiInstance in the input: cannot check that ${what}`,
      `pass the ApiInstance files too (or the gateway's conf.d directory), or --api-instance <name> for instances that exist in the cluster. ${listFix}`);
  if (tr.kind === "Selector" || "selector" in tr) {
    const labels = tr.selector?.labels ?? tr.selector?.matchLabels;
    if (!isObj(labels) || Object.keys(labels).length === 0) {
      at("error", "selector-empty", b, ["spec", "targetRef", "selector"], "spec.targetRef is a selector without labels", "add spec.targetRef.selector.labels, e.g. {cequence: enabled}, and the same label on the ApiInstances to capture");
      return;
    }
    if (noneKnown || apiInstances.length === 0) { skipNote(`the selector labels ${JSON.stringify(labels)} match an ApiInstance`); return; }
    const matches = inNs.filter((a) => Object.entries(labels).every(([k, v]) => isObj(a.js.metadata.labels) && String(a.js.metadata.labels[k]) === String(v)));
    if (matches.length === 0) {
      const labelPath = tr.selector?.labels ? ["spec", "targetRef", "selector", "labels"] : ["spec", "targetRef", "selector", "matchLabels"];
      const yamlLabels = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(", ");
      at("error", "selector-no-match", b, labelPath,
        `the targetRef selector labels {${yamlLabels}} match no ApiInstance in namespace "${bns}" (ApiInstances in the input: ${inNs.map((a) => nameOf(a)).join(", ") || "none in this namespace"}): the policy applies to no API`,
        `add the labels under metadata.labels of each ApiInstance to capture (e.g. ${where(inNs[0] ?? apiInstances[0], ["metadata"])}), or fix the selector`);
    }
    return;
  }
  const name = tr.name;
  if (typeof name !== "string" || name === "") {
    at("error", "targetref", b, ["spec", "targetRef"], "spec.targetRef has no name", `set spec.targetRef.name to your ApiInstance's name. ${listFix}`);
    return;
  }
  if (noneKnown) { skipNote(`ApiInstance "${name}" exists`); return; }
  if (known.includes(name)) return;
  const elsewhere = apiInstances.filter((a) => nameOf(a) === name);
  const near = nearest(name, known);
  at("error", "apiinstance-not-found", b, ["spec", "targetRef", "name"],
    `ApiInstance not found on ${bname}: spec.targetRef names "${name}", which is not an ApiInstance in namespace "${bns}"` +
    (elsewhere.length ? ` (there is one in namespace "${nsOf(elsewhere[0])}", ${where(elsewhere[0], ["metadata", "name"])})` : "") +
    ` (ApiInstances in the input: ${known.join(", ") || "none in this namespace"})`,
    (near ? `did you mean "${near}"? ` : "") + `set spec.targetRef.name to an existing ApiInstance's metadata.name. ${listFix}`);
}

// ---------------------------------------------------------------------------------------------------
// Kubernetes: the implementation's wasm path vs the ConfigMap mount, the ConfigMap and the 1 MiB limit.

interface Mount { doc: Doc; path: (string | number)[]; mountPath: string; volumeName: string; configMap?: string; how: string }

/** Volume mounts of a ConfigMap volume declared by the kit files (Helm values, JSON patch, Operator spec, Deployment). */
function kitMounts(docs: Doc[], at: At): Mount[] {
  const out: Mount[] = [];
  const collect = (d: Doc, volPath: (string | number)[], mountPath: (string | number)[], how: string) => {
    const vols = d.node(volPath), mounts = d.node(mountPath);
    const volJs: any[] = isSeq(vols) ? (d.doc.getIn(volPath) as any).toJSON() : [];
    const mountJs: any[] = isSeq(mounts) ? (d.doc.getIn(mountPath) as any).toJSON() : [];
    mountJs.forEach((m, i) => {
      if (!isObj(m) || typeof m.mountPath !== "string") return;
      const v = volJs.find((x) => isObj(x) && x.name === m.name);
      if (!v && volJs.length > 0) {
        at("error", "mount-volume-missing", d, [...mountPath, i, "name"], `${how}: volumeMount "${m.name}" has no volume of that name`, `add a volume {name: ${m.name}, configMap: {name: ${WASM_CONFIGMAP_NAME}}}, or use the volume's name here`);
      }
      out.push({ doc: d, path: [...mountPath, i, "mountPath"], mountPath: m.mountPath, volumeName: m.name, configMap: v?.configMap?.name, how });
    });
  };
  for (const d of docs) {
    const js = d.js;
    if (Array.isArray(js)) {
      // RFC 6902 JSON Patch (kubectl patch --type=json).
      const vols: any[] = [], mounts: { m: any; i: number }[] = [];
      js.forEach((op, i) => {
        if (!isObj(op) || typeof op.op !== "string" || typeof op.path !== "string" || !op.path.startsWith("/") ||
          !["add", "remove", "replace", "move", "copy", "test"].includes(op.op) || (["add", "replace", "test"].includes(op.op) && !("value" in op)) ||
          (["move", "copy"].includes(op.op) && typeof op.from !== "string")) {
          at("error", "json-patch", d, [i], `JSON Patch operation ${i} is not a valid RFC 6902 operation`, 'each entry needs "op" (add, remove, replace, move, copy, test), "path" starting with "/", and "value" for add/replace/test');
          return;
        }
        if (op.op === "add" && /^\/spec\/template\/spec\/volumes(\/-|\/\d+)?$/.test(op.path)) vols.push(...(op.path.endsWith("volumes") ? op.value : [op.value]));
        if (op.op === "add" && /^\/spec\/template\/spec\/containers\/\d+\/volumeMounts(\/-|\/\d+)?$/.test(op.path)) mounts.push({ m: op.value, i });
      });
      for (const { m, i } of mounts) {
        if (!isObj(m) || typeof m.mountPath !== "string") continue;
        const v = vols.find((x) => isObj(x) && x.name === m.name);
        if (!v) at("error", "mount-volume-missing", d, [i, "value", "name"], `kubectl patch: volumeMount "${m.name}" is added without a volume of that name`, `add an op {"op":"add","path":"/spec/template/spec/volumes/-","value":{"name":"${m.name}","configMap":{"name":"${WASM_CONFIGMAP_NAME}"}}}`);
        out.push({ doc: d, path: [i, "value", "mountPath"], mountPath: m.mountPath, volumeName: m.name, configMap: v?.configMap?.name, how: "kubectl patch" });
      }
      continue;
    }
    if (!isObj(js)) continue;
    if (("extraVolumes" in js || "extraVolumeMounts" in js) && !("kind" in js)) collect(d, ["extraVolumes"], ["extraVolumeMounts"], "Helm values");
    else if (isObj(js.spec) && ("volumes" in js.spec || "volumeMounts" in js.spec) && (!("kind" in js) || js.kind === "FlexGateway")) collect(d, ["spec", "volumes"], ["spec", "volumeMounts"], "Flex Gateway Operator spec");
    else if (["Deployment", "DaemonSet", "StatefulSet"].includes(js.kind) && Array.isArray(js.spec?.template?.spec?.containers)) {
      js.spec.template.spec.containers.forEach((_c: any, ci: number) => collect(d, ["spec", "template", "spec", "volumes"], ["spec", "template", "spec", "containers", ci, "volumeMounts"], `${js.kind} ${nameOf(d) ?? ""}`));
    }
  }
  return out;
}

function checkWasmAndMounts(implementations: Doc[], configMaps: Doc[], docs: Doc[], wasmFiles: { display: string; bytes: Buffer; size: number; src: string }[], at: At, add: Add) {
  const implPath = ["spec", "properties", "implementation", "default"];
  const fileImpls: { d: Doc; path: string }[] = [];
  for (const d of implementations) {
    const v = d.js.spec?.properties?.implementation?.default;
    if (typeof v !== "string") {
      at("error", "implementation", d, ["spec", "properties"], "the implementation has no spec.properties.implementation.default", `use cequence_implementation.yaml as built (file://${K8S_WASM_PATH} on Kubernetes, base64://… on Docker)`);
    } else if (v.startsWith("file://")) fileImpls.push({ d, path: v.slice(7) });
    else if (v.startsWith("base64://")) {
      const b = Buffer.from(v.slice(9), "base64");
      if (b.length < 8 || b.readUInt32BE(0) !== 0x0061736d) at("error", "implementation", d, implPath, "the base64:// implementation does not decode to a WebAssembly module", "use cequence_implementation.yaml from policies-docker-linux/ as built; do not edit or re-wrap the base64 text");
    }
  }

  // ConfigMaps holding the module.
  const cmKeys = new Map<string, string[]>();
  for (const cm of configMaps) {
    const name = nameOf(cm)!;
    const keys: string[] = [];
    let total = 0;
    if (cm.js.apiVersion !== "v1") at("error", "configmap", cm, ["apiVersion"], `ConfigMap ${name} has apiVersion ${JSON.stringify(cm.js.apiVersion)}`, "ConfigMaps are apiVersion: v1");
    for (const section of ["binaryData", "data"]) {
      const m = cm.js[section];
      if (m === undefined) continue;
      if (!isObj(m)) { at("error", "configmap", cm, [section], `ConfigMap ${name}: ${section} must be a map of key to value`, `write ${section}: {${WASM_CONFIGMAP_KEY}: <base64>}`); continue; }
      for (const [k, v] of Object.entries(m)) {
        keys.push(k);
        if (typeof v !== "string") continue;
        if (section === "binaryData") {
          const clean = v.replace(/\s+/g, "");
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
            at("error", "configmap-base64", cm, [section, k], `ConfigMap ${name}: binaryData ${k} is not valid base64`, "regenerate the manifest (npm run build, or kubectl create configmap … --dry-run=client -o yaml)");
            continue;
          }
          const bytes = Buffer.from(clean, "base64");
          total += bytes.length;
          const beside = wasmFiles.find((w) => dirname(w.src) === dirname(cm.src.path));
          if (k === WASM_CONFIGMAP_KEY && beside && !bytes.equals(beside.bytes)) {
            at("warning", "configmap-stale", cm, [section, k], `ConfigMap ${name}: binaryData ${k} differs from ${beside.display} beside it`, "regenerate the ConfigMap manifest from the current module (npm run build) so the cluster runs the module you tested");
          }
        } else total += Buffer.byteLength(v);
      }
    }
    cmKeys.set(name, keys);
    if (total > CONFIGMAP_MAX_BYTES) {
      at("error", "wasm-size", cm, ["binaryData"], `ConfigMap ${name} holds ${total} bytes (${MiB(total)}), over the 1 MiB (${CONFIGMAP_MAX_BYTES} bytes) ConfigMap limit: kubectl apply would be refused`,
        "shrink the module (release build), or ship it another way (an image layer or a volume) and point the implementation at that path");
    }
  }
  for (const w of wasmFiles) {
    if (w.size > CONFIGMAP_MAX_BYTES) {
      add("error", "wasm-size", w.display, { line: 1, column: 1 }, `${basename(w.display)} is ${w.size} bytes (${MiB(w.size)}), over the 1 MiB (${CONFIGMAP_MAX_BYTES} bytes) ConfigMap limit: kubectl create configmap would be refused`,
        "shrink the module (release build), or ship it another way (an image layer or a volume) and point the implementation at that path");
    }
    if (w.bytes.length < 8 || w.bytes.readUInt32BE(0) !== 0x0061736d) {
      add("error", "wasm-invalid", w.display, { line: 1, column: 1 }, `${basename(w.display)} is not a WebAssembly module`, "use cequence_policy.wasm from the bundle as built");
    }
  }

  // Which files do the mounts provide? Mounts of ConfigMap volumes in the input, else the documented one.
  const mounts = kitMounts(docs, at).filter((m) => m.configMap !== undefined || m.volumeName === WASM_CONFIGMAP_NAME);
  for (const m of mounts) {
    if (m.configMap && configMaps.length > 0 && !cmKeys.has(m.configMap)) {
      at("error", "mount-configmap", m.doc, m.path, `${m.how}: the volume "${m.volumeName}" refers to ConfigMap "${m.configMap}", which is not in the input (${[...cmKeys.keys()].join(", ")})`, `use configMap: {name: ${WASM_CONFIGMAP_NAME}}`);
    }
  }
  const provided = (m: Mount) => (cmKeys.get(m.configMap ?? WASM_CONFIGMAP_NAME) ?? [WASM_CONFIGMAP_KEY]).map((k) => `${m.mountPath.replace(/\/+$/, "")}/${k}`);
  const documented = mounts.length ? mounts.flatMap(provided) : [`${WASM_MOUNT_DIR}/${(cmKeys.get(WASM_CONFIGMAP_NAME) ?? [WASM_CONFIGMAP_KEY]).includes(WASM_CONFIGMAP_KEY) ? WASM_CONFIGMAP_KEY : cmKeys.get(WASM_CONFIGMAP_NAME)![0]}`];
  for (const { d, path } of fileImpls) {
    if (documented.includes(path)) continue;
    const file = basename(path);
    at("error", "wasm-path", d, implPath,
      `the implementation reads file://${path}, but the ${WASM_CONFIGMAP_NAME} ConfigMap mount provides only ${documented.join(", ")}: the gateway would fail with "no such file: cequence.wasm" (${file} is not in the pod)`,
      `set implementation to file://${K8S_WASM_PATH} (policies-k8s/cequence_implementation.yaml as built) and mount the ${WASM_CONFIGMAP_NAME} ConfigMap (key ${WASM_CONFIGMAP_KEY}) at ${WASM_MOUNT_DIR}`);
  }
  const wanted = fileImpls.length ? fileImpls.map((f) => f.path) : [K8S_WASM_PATH];
  for (const m of mounts) {
    if (provided(m).some((p) => wanted.includes(p))) continue;
    at("error", "wasm-path", m.doc, m.path,
      `${m.how}: the ${m.volumeName} volume is mounted at ${m.mountPath}, but the implementation reads ${wanted.join(", ")}: the gateway would fail with "no such file: cequence.wasm"`,
      `mount it at ${dirname(wanted[0])} (mountPath: ${dirname(wanted[0])})`);
  }
}
