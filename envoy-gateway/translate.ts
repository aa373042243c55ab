// Translates the files an operator deploys to a Flex Gateway in local mode into Envoy configuration:
// a bootstrap (admin on loopback, file-based LDS/CDS) and the listeners and clusters those files
// serve. Loading and planning (targetRef rules, definition defaults, `<name>.<namespace>.svc` clusters)
// is the emulator's (emulator/gateway/config.ts); this file only says how that plan looks in Envoy.
import { isIP } from 'node:net';
import path from 'node:path';
import {
  buildConfig, listConfigFiles, loadResources, policiesFor, resolveModuleFile, unboundPolicies,
  type ApiInstance, type GatewayConfig, type PolicyPlan, type WasmPathMap,
} from '../emulator/gateway/config.ts';

/** Flex names the wasm plugin after the PolicyBinding: Envoy's lines read `wasm log <binding> <root_id>: …`. */
export const WASM_FILTER = 'envoy.filters.http.wasm';
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface TranslateOptions {
  /** Listener port of the first ApiInstance (0: any free port; further ApiInstances then get 0 too). */
  listenPort?: number;
  /** Address the listeners bind (default 127.0.0.1, like the emulator; Flex binds the ApiInstance's 0.0.0.0). */
  listenHost?: string;
  wasmPathMap?: WasmPathMap;
  /** CA bundle that validates https:// Services and upstreams (default: the system bundle). */
  caFile?: string;
  /** Route timeout, from the end of the request to the end of the response (default 15 s, Envoy's). */
  routeTimeoutMs?: number;
  /** Connect timeout of every cluster (default 5 s). */
  connectTimeoutMs?: number;
}

export interface ListenerPlan {
  api: ApiInstance;
  listenerName: string;
  port: number;
  /** Base path of the ApiInstance (spec.address path, without the trailing slash). */
  basePath: string;
  policies: PolicyPlan[];
}

export interface EnvoyTranslation {
  config: GatewayConfig;
  listeners: ListenerPlan[];
  /** DiscoveryResponse bodies for the files Envoy watches. */
  lds: Record<string, unknown>;
  cds: Record<string, unknown>;
  /** Lines an operator would see from Flex for this configuration (level + message). */
  messages: { level: 'info' | 'warn' | 'error'; message: string }[];
}

const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

const seconds = (ms: number) => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;

export function bootstrap(dir: string): Record<string, unknown> {
  // One folder per resource type: a file renamed into a watched directory reloads every subscription
  // watching it, so a shared folder would make Envoy load (and reject) each update twice.
  const source = (kind: 'cds' | 'lds') => ({
    resource_api_version: 'V3',
    path_config_source: { path: `${dir}/${kind}/${kind}.yaml`, watched_directory: { path: `${dir}/${kind}` } },
  });
  return {
    node: { id: 'flex-gateway', cluster: 'flex-gateway' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    dynamic_resources: { cds_config: source('cds'), lds_config: source('lds') },
  };
}

/** One upstream cluster for an http:// or https:// base address (TLS origination with SNI for https). */
export function clusterFor(name: string, address: string, o: TranslateOptions = {}): Record<string, unknown> {
  const url = new URL(address);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`cluster ${name}: unsupported scheme in ${address}`);
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (tls ? 443 : 80));
  const ip = isIP(host) !== 0;
  const cluster: Record<string, unknown> = {
    name,
    type: ip ? 'STATIC' : 'STRICT_DNS',
    ...(ip ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    connect_timeout: seconds(o.connectTimeoutMs ?? 5000),
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
  };
  if (tls) {
    cluster.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        // RFC 6066: SNI carries host names only, never an IP literal (the certificate check below still applies).
        ...(ip ? {} : { sni: host }),
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: path.resolve(o.caFile ?? SYSTEM_CA_BUNDLE) },
            match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: host } }],
          },
        },
      },
    };
  }
  return cluster;
}

/** The wasm HTTP filter of one PolicyBinding. */
export function wasmFilter(p: PolicyPlan, o: TranslateOptions = {}): Record<string, unknown> {
  let code: Record<string, unknown>;
  if (p.moduleSource.startsWith('base64://')) {
    // BytesValue in Envoy's JSON/YAML is base64 already: the bundle's string goes in as it is.
    code = { local: { inline_bytes: p.moduleSource.slice('base64://'.length).replace(/\s+/g, '') } };
  } else if (p.moduleSource.startsWith('file://')) {
    code = { local: { filename: path.resolve(resolveModuleFile(p.moduleSource, o.wasmPathMap)) } };
  } else {
    throw new Error(`implementation ${p.implementationName}: unsupported source ${p.moduleSource.slice(0, 40)}`);
  }
  return {
    name: WASM_FILTER,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
      config: {
        name: p.bindingName,
        root_id: p.rootId,
        vm_config: { runtime: 'envoy.wasm.runtime.v8', code },
        configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: JSON.stringify(p.config) },
      },
    },
  };
}

export function upstreamClusterName(api: ApiInstance): string {
  return `api.${api.name}.${api.namespace}.upstream`;
}

function listenerFor(l: ListenerPlan, o: TranslateOptions): Record<string, unknown> {
  const up = l.api.upstream;
  const upBase = up.pathname.replace(/\/$/, '');
  const route: Record<string, unknown> = {
    cluster: upstreamClusterName(l.api),
    timeout: seconds(o.routeTimeoutMs ?? 15000),
  };
  // The emulator's path rule: strip the listener base path, prepend the upstream base path.
  if (l.basePath || upBase) route.regex_rewrite = { pattern: { regex: `^${escapeRegex(l.basePath)}/?` }, substitution: `${upBase}/` };
  const match = l.basePath ? { safe_regex: { regex: `^${escapeRegex(l.basePath)}([/?].*)?$` } } : { prefix: '/' };
  return {
    '@type': LISTENER_TYPE,
    name: l.listenerName,
    address: { socket_address: { address: o.listenHost ?? '127.0.0.1', port_value: l.port } },
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: l.api.name,
          codec_type: 'AUTO',
          route_config: {
            name: `${l.api.name}.${l.api.namespace}`,
            virtual_hosts: [{ name: l.api.name, domains: ['*'], routes: [{ match, route }] }],
          },
          http_filters: [
            ...l.policies.map((p) => wasmFilter(p, o)),
            { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
          ],
        },
      }],
    }],
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Translate an already planned configuration. `version` goes into both DiscoveryResponses. */
export function translateConfig(config: GatewayConfig, o: TranslateOptions = {}, version = '1'): EnvoyTranslation {
  const messages: EnvoyTranslation['messages'] = config.warnings.map((message) => ({ level: 'warn' as const, message }));
  for (const p of unboundPolicies(config)) messages.push({ level: 'error', message: `ApiInstance not found on ${p.bindingName}` });
  const listeners: ListenerPlan[] = config.apiInstances.map((api, i) => {
    if (api.listenAddress.protocol !== 'http:') throw new Error(`ApiInstance ${api.name}: only http:// listeners are translated (${api.listenAddress.href})`);
    const port = o.listenPort !== undefined ? (i === 0 ? o.listenPort : 0) : Number(api.listenAddress.port || 80);
    return { api, listenerName: `${api.name}.${api.namespace}`, port, basePath: api.listenAddress.pathname.replace(/\/$/, ''), policies: policiesFor(config, api) };
  });
  for (const l of listeners) {
    messages.push({ level: 'info', message: l.policies.length
      ? `policy ${l.policies.map((p) => p.implementationName).join(', ')} applied to ${l.api.name} via ${l.policies.map((p) => p.bindingName).join(', ')}`
      : `no policy applied to ${l.api.name}` });
  }
  const clusters = [
    ...Object.entries(config.clusters).map(([name, address]) => clusterFor(name, address, o)),
    ...config.apiInstances.map((api) => clusterFor(upstreamClusterName(api), api.upstream.href, o)),
  ].map((c) => ({ '@type': CLUSTER_TYPE, ...c }));
  return {
    config,
    listeners,
    lds: { version_info: version, resources: listeners.map((l) => listenerFor(l, o)) },
    cds: { version_info: version, resources: clusters },
    messages,
  };
}

/** Load a conf.d (or a list of files / folders) and translate it. */
export function translateFiles(input: string[] | string, o: TranslateOptions = {}, version = '1'): EnvoyTranslation {
  return translateConfig(buildConfig(loadResources(listConfigFiles(input))), o, version);
}
