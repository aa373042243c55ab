// Preflight validator for the Cequence policy in a Flex Gateway (local mode) configuration: reads a
// configuration directory, a bundle folder or single files, and reports every mistake of the guide's
// troubleshooting table that can be seen before deploying, each with file:line and the fix. This file
// only runs the checks (scripts/validate/checks/, one file per kind of mistake) in order.
import { extname, relative } from "node:path";
import { DEFINITION_NAME, IMPLEMENTATION_NAME, BINDING_NAME, DEFAULT_NAMESPACE } from "../bundle.mjs";
import type { Doc, Finding, Position, Severity } from "./source.ts";
import { checkCompose, isComposeDoc } from "./docker.ts";
import { readInputs, TEXT_EXT } from "./input.ts";
import { isObj, nameOf, type Binding, type Context, type Inputs, type Options, type WasmFile } from "./checks/context.ts";
import { checkDuplicates } from "./checks/yaml.ts";
import { configSchema, compile, checkSchema, checkStatusRange, checkAuthCredentials } from "./checks/config.ts";
import { checkCredentials, checkPlaceholders } from "./checks/secrets.ts";
import { checkUrls, checkServices } from "./checks/services.ts";
import { checkNamespaces, checkConfigMapNamespace } from "./checks/namespaces.ts";
import { checkTargetRef, checkPolicyRef } from "./checks/target.ts";
import { checkWasmAndMounts } from "./checks/kubernetes.ts";

export type { Finding, Severity } from "./source.ts";
export type { Options } from "./checks/context.ts";
export { MAX_YAML_BYTES } from "./input.ts";
export { nearest } from "./checks/context.ts";
export { unrenderedReason, CREDENTIAL_FIELDS, placeholderReason, SECRET_ADVICE } from "./checks/secrets.ts";
export { BESIDE_DEFINITION } from "./checks/config.ts";

export interface Result {
  files: string[];
  findings: Finding[];
  errors: number;
  warnings: number;
  infos: number;
}

const FLEX_API = /^gateway\.mulesoft\.com\//;

/** The documents sorted into what the checks look at: the Cequence definition, implementations, bindings… */
function sortInputs(docs: Doc[], wasmFiles: WasmFile[]): Inputs {
  const resources = docs.filter((d) => isObj(d.js) && typeof d.js.kind === "string" && isObj(d.js.metadata));
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
  return { docs, resources, flex, definition, implementations, bindings, services, apiInstances, configMaps, wasmFiles };
}

export function validate(paths: string[], options: Options = {}): Result {
  const cwd = options.cwd ?? process.cwd();
  const findings: Finding[] = [];
  const add = (severity: Severity, code: string, file: string, pos: Position, message: string, fix: string) =>
    findings.push({ severity, code, file, line: pos.line, column: pos.column, message, fix });
  const at = (severity: Severity, code: string, d: Doc, path: (string | number)[], message: string, fix: string, key = false) =>
    add(severity, code, d.src.display, key ? d.keyAt(path) : d.at(path), message, fix);

  const { files, docs, wasmFiles } = readInputs(paths, cwd, { add, findings });

  for (const d of docs) if (isComposeDoc(d)) findings.push(...checkCompose(d));

  const inputs = sortInputs(docs, wasmFiles);
  const { resources, flex, definition, implementations, bindings, configMaps } = inputs;
  checkDuplicates(resources, at);

  const schema = configSchema(definition);
  const ctx: Context = { options, findings, add, at, inputs, schema };
  const configMapNamespaces = new Set<string>();
  const validateConfig = compile(schema);

  for (const b of bindings) {
    const bname = nameOf(b)!;
    const config = b.js.spec?.config;
    if (!isObj(config)) {
      at("error", "config-missing", b, ["spec", "config"], `PolicyBinding ${bname} has no spec.config map`, "add spec.config with at least cequenceAuthUrl and cequenceEdgeUrl (see cequence_binding.yaml as built)");
      continue;
    }
    const binding: Binding = {
      b, bname, config, cfg: ["spec", "config"],
      authEnabled: config.cequenceAuthEnabled ?? schema.properties.cequenceAuthEnabled?.default ?? true,
      ns: typeof config.serviceNamespace === "string" ? config.serviceNamespace : (schema.properties.serviceNamespace?.default ?? DEFAULT_NAMESPACE),
    };
    checkSchema(ctx, validateConfig, binding);
    checkUrls(ctx, binding);
    checkStatusRange(ctx, binding);
    checkAuthCredentials(ctx, binding);
    checkCredentials(ctx, binding);
    checkServices(ctx, binding);
    configMapNamespaces.add(checkNamespaces(ctx, binding));
    checkTargetRef(b, inputs.apiInstances, options.apiInstances ?? [], at);
    checkPolicyRef(ctx, binding);
  }

  checkConfigMapNamespace(ctx, configMapNamespaces);
  checkPlaceholders(ctx);
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
