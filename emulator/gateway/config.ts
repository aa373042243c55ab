// Reads the files an operator deploys to a Flex Gateway in local mode (conf.d/*.yaml):
// the policy bundle's definition / implementation / binding (Services + PolicyBinding) and an
// ApiInstance. All YAML goes through the `yaml` package.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Resource {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: any;
  file: string;
}

export interface ApiInstance {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Listener from spec.address, e.g. http://0.0.0.0:8081/ */
  listenAddress: URL;
  /** spec.services.upstream.address */
  upstream: URL;
  resource: Resource;
}

export interface PolicyPlan {
  bindingName: string;
  bindingNamespace: string;
  implementationName: string;
  rootId: string;
  /** implementation spec.properties.implementation.default (base64://… or file://…) */
  moduleSource: string;
  /** The binding's spec.config, with the definition's schema defaults filled in. */
  config: Record<string, unknown>;
  targetRef: any;
}

export interface GatewayConfig {
  resources: Resource[];
  apiInstances: ApiInstance[];
  /** Service clusters: `<name>.<namespace>.svc` -> spec.address */
  clusters: Record<string, string>;
  policies: PolicyPlan[];
  /** Problems worth an operator's attention (missing references etc.). */
  warnings: string[];
}

export function listConfigFiles(input: string[] | string): string[] {
  const out: string[] = [];
  for (const p of Array.isArray(input) ? input : [input]) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/i.test(f)) out.push(path.join(p, f));
    } else out.push(p);
  }
  return out;
}

export function loadResources(files: string[]): Resource[] {
  const res: Resource[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (!obj || typeof obj !== 'object' || typeof obj.kind !== 'string') continue;
      const md = obj.metadata ?? {};
      res.push({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: String(md.name ?? ''), namespace: String(md.namespace ?? 'default'), labels: md.labels ?? {} },
        spec: obj.spec ?? {},
        file,
      });
    }
  }
  return res;
}

function extendsNames(r: Resource): string[] {
  const e = r.spec?.extends;
  if (!Array.isArray(e)) return [];
  return e.map((x: any) => (typeof x === 'string' ? x : String(x?.name ?? '')));
}

function toUrl(s: unknown, what: string): URL {
  try {
    return new URL(String(s));
  } catch {
    throw new Error(`${what}: invalid address ${JSON.stringify(s)}`);
  }
}

/** JSON-schema defaults of the definition's top-level properties. */
function schemaDefaults(def: Resource | undefined): Record<string, unknown> {
  const props = def?.spec?.properties;
  const out: Record<string, unknown> = {};
  if (props && typeof props === 'object') {
    for (const [k, v] of Object.entries<any>(props)) if (v && typeof v === 'object' && 'default' in v) out[k] = v.default;
  }
  return out;
}

export function selectorMatches(targetRef: any, api: ApiInstance): boolean {
  if (!targetRef || typeof targetRef !== 'object') return false;
  const sel = targetRef.selector;
  if (targetRef.kind === 'Selector' || sel) {
    if (sel?.kind && sel.kind !== 'ApiInstance') return false;
    if (sel?.namespace && sel.namespace !== api.namespace) return false;
    const labels: Record<string, string> = sel?.labels ?? sel?.matchLabels ?? {};
    return Object.entries(labels).every(([k, v]) => api.labels[k] === String(v));
  }
  if (targetRef.kind && targetRef.kind !== 'ApiInstance') return false;
  if (targetRef.namespace && targetRef.namespace !== api.namespace) return false;
  return targetRef.name === api.name;
}

/** The policies whose targetRef selects `api`, in binding order. */
export function policiesFor(config: GatewayConfig, api: ApiInstance): PolicyPlan[] {
  return config.policies.filter((p) => selectorMatches(p.targetRef, api));
}

/** Bindings whose targetRef matches no ApiInstance: Flex logs `ApiInstance not found on <binding>`. */
export function unboundPolicies(config: GatewayConfig): PolicyPlan[] {
  return config.policies.filter((p) => !config.apiInstances.some((a) => selectorMatches(p.targetRef, a)));
}

export function buildConfig(resources: Resource[]): GatewayConfig {
  const warnings: string[] = [];
  const clusters: Record<string, string> = {};
  for (const r of resources.filter((x) => x.kind === 'Service')) {
    if (r.spec?.address) clusters[`${r.metadata.name}.${r.metadata.namespace}.svc`] = String(r.spec.address);
  }
  const apiInstances: ApiInstance[] = resources
    .filter((r) => r.kind === 'ApiInstance')
    .map((r) => ({
      name: r.metadata.name,
      namespace: r.metadata.namespace,
      labels: r.metadata.labels,
      listenAddress: toUrl(r.spec?.address, `ApiInstance ${r.metadata.name} spec.address`),
      upstream: toUrl(r.spec?.services?.upstream?.address, `ApiInstance ${r.metadata.name} spec.services.upstream.address`),
      resource: r,
    }));
  const extensions = resources.filter((r) => r.kind === 'Extension');
  const policies: PolicyPlan[] = [];
  for (const b of resources.filter((r) => r.kind === 'PolicyBinding')) {
    const ref = b.spec?.policyRef ?? {};
    const impl = extensions.find((e) => e.metadata.name === ref.name && (!ref.namespace || e.metadata.namespace === ref.namespace));
    if (!impl) {
      warnings.push(`policy ${ref.name} not found on ${b.metadata.name}`);
      continue;
    }
    const defName = extendsNames(impl).find((n) => extensions.some((e) => e.metadata.name === n && extendsNames(e).includes('extension-definition')));
    const def = extensions.find((e) => e.metadata.name === defName);
    const props = impl.spec?.properties ?? {};
    const moduleSource = props.implementation?.default;
    if (typeof moduleSource !== 'string') {
      warnings.push(`implementation ${impl.metadata.name} has no spec.properties.implementation.default`);
      continue;
    }
    policies.push({
      bindingName: b.metadata.name,
      bindingNamespace: b.metadata.namespace,
      implementationName: impl.metadata.name,
      rootId: String(props.rootId?.default ?? 'main'),
      moduleSource,
      config: { ...schemaDefaults(def), ...(b.spec?.config ?? {}) },
      targetRef: b.spec?.targetRef,
    });
  }
  return { resources, apiInstances, clusters, policies, warnings };
}

export type WasmPathMap = Record<string, string> | ((p: string) => string | undefined);

/** The local file a file://… implementation names (through the optional path map); throws
 *  `no such file: <name>` when it does not exist. */
export function resolveModuleFile(source: string, wasmPathMap?: WasmPathMap): string {
  const p = decodeURIComponent(new URL(source).pathname);
  const mapped = typeof wasmPathMap === 'function' ? wasmPathMap(p) : wasmPathMap?.[p];
  const local = mapped ?? p;
  if (!existsSync(local)) throw new Error(`no such file: ${path.basename(p)} (${local})`);
  return local;
}

/** Resolve the module bytes from base64://… or file://… (with an optional local path map). */
export function loadModuleBytes(source: string, wasmPathMap?: WasmPathMap): Buffer {
  if (source.startsWith('base64://')) return Buffer.from(source.slice('base64://'.length).replace(/\s+/g, ''), 'base64');
  if (source.startsWith('file://')) return readFileSync(resolveModuleFile(source, wasmPathMap));
  throw new Error(`unsupported implementation source ${source.slice(0, 40)}`);
}
