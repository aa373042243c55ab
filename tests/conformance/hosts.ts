// One plugin (module + configuration + clusters) behind a listener, on either host: the emulator's
// local gateway (emulator/gateway, conf.d files written for it) or a real Envoy (a static bootstrap
// with the same names: plugin `cequence-policy-binding`, root id `main`, clusters `<service>.default.svc`,
// route `my-api` to cluster `my-api.default.upstream`). Both expose the module's log lines the same way.
import { rmSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGateway } from '../../emulator/index.ts';
import { writeBundle } from '../emulator/bundle.ts';
import { parseEnvoyLine, startEnvoy, type EnvoyLogLine, type EnvoyProcess } from './envoy-process.ts';

export type HostKind = 'emulator' | 'envoy';
export const HOSTS: HostKind[] = ['emulator', 'envoy'];

export const PLUGIN_NAME = 'cequence-policy-binding';
export const ROOT_ID = 'main';
export const API_NAME = 'my-api';
export const UPSTREAM_CLUSTER = `${API_NAME}.default.upstream`;
/** Envoy's node identity, set to what the emulator reports. */
export const NODE_ID = 'flex-gateway-emulator';
export const NODE_CLUSTER = 'flex-gateway';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** A line the module logged (proxy_log or WASI stdout/stderr). */
export interface WasmLine {
  level: Level;
  message: string;
  /** Opaque worker identity: Envoy's thread id, the emulator's worker index. */
  thread: string;
  /** What the line says between `wasm log` and `: ` (plugin name and root id, as the host prints them). */
  prefix: string;
  /** Logged on Envoy's main thread (not a worker). */
  main: boolean;
  /** The source location the line names (`source/extensions/common/wasm/context.cc:1151`). */
  source: string;
  /** When the host logged it (ms since the epoch, from the line's own millisecond timestamp). */
  time: number;
}

/** The `[%Y-%m-%d %T.%e]` timestamp both hosts print, as ms since the epoch (local time). */
function lineTime(raw: string): number {
  const m = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})\]/.exec(raw);
  return m ? new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]).getTime() : NaN;
}

const WASM_PREFIX = /^wasm log((?: [^\s:]+)*): /;
function splitWasm(text: string): { prefix: string; message: string } | undefined {
  const m = WASM_PREFIX.exec(text);
  return m ? { prefix: m[1].trim(), message: text.slice(m[0].length) } : undefined;
}

export interface PluginSetup {
  wasm: Buffer;
  /** Plugin configuration object; both hosts receive JSON.stringify(config). */
  config: Record<string, unknown>;
  /** Upstream of the route (the ApiInstance's upstream service). */
  upstreamUrl: string;
  /** Service name -> http://127.0.0.1:port; the cluster is `<name>.default.svc`. */
  services?: Record<string, string>;
  workers?: number;
  /** Level of the wasm logger (Envoy: --component-log-level wasm:<level>; emulator: logLevel). */
  logLevel?: Level;
}

export interface RunningHost {
  kind: HostKind;
  /** http://127.0.0.1:<listener port> */
  url: string;
  port: number;
  /** The module's log lines so far. */
  wasmLines(): WasmLine[];
  /** Every line, formatted as the host prints it (for failure messages). */
  rawLines(): string[];
  waitFor(pred: (lines: WasmLine[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  envoy?: EnvoyProcess;
}

const ENVOY_LEVEL: Record<string, Level> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', error: 'error', critical: 'critical' };

function poller(lines: () => WasmLine[], raw: () => string[]) {
  return async (pred: (l: WasmLine[]) => boolean, what: string, timeoutMs = 10000) => {
    const start = Date.now();
    while (!pred(lines())) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; last lines:\n${raw().slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
}

export async function startHost(kind: HostKind, p: PluginSetup): Promise<RunningHost> {
  return kind === 'emulator' ? startEmulator(p) : startEnvoyHost(p);
}

async function startEmulator(p: PluginSetup): Promise<RunningHost> {
  const dir = writeBundle({
    wasm: p.wasm,
    upstreamUrl: p.upstreamUrl,
    apiName: API_NAME,
    services: p.services ?? {},
    config: p.config,
    definitionProperties: {},
  });
  const gw = await startGateway({ dir, listenPort: 0, workers: p.workers ?? 1, logLevel: p.logLevel ?? 'info' });
  const wasmLines = () => gw.entries.filter((e) => e.source === 'wasm').map((e): WasmLine => ({
    level: e.level as Level, message: e.message, thread: `w${e.worker}`,
    prefix: splitWasm(e.line.slice(e.line.indexOf('] wasm log') + 2))?.prefix ?? '?', main: false,
    source: parseEnvoyLine(e.line)?.source ?? '?', time: lineTime(e.line),
  }));
  const rawLines = () => gw.logs;
  return {
    kind: 'emulator',
    url: `http://127.0.0.1:${gw.port}`,
    port: gw.port,
    wasmLines,
    rawLines,
    waitFor: poller(wasmLines, rawLines),
    async close() {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function staticCluster(name: string, url: string, extra: Record<string, unknown> = {}) {
  const u = new URL(url);
  return {
    name,
    type: 'STATIC',
    connect_timeout: '2s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: u.hostname, port_value: Number(u.port) } } } }] }],
    },
    ...extra,
  };
}

/** The Envoy bootstrap for one plugin: listener `my-api` -> wasm filter -> router -> upstream. */
export function envoyBootstrap(p: PluginSetup, wasmFile: string): Record<string, unknown> {
  const trailers = {
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http_protocol_options: { enable_trailers: true } },
      },
    },
  };
  return {
    node: { id: NODE_ID, cluster: NODE_CLUSTER },
    static_resources: {
      listeners: [{
        name: API_NAME,
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'ingress',
              http_protocol_options: { enable_trailers: true },
              route_config: {
                name: API_NAME,
                virtual_hosts: [{
                  name: API_NAME,
                  domains: ['*'],
                  routes: [{ name: API_NAME, match: { prefix: '/' }, route: { cluster: UPSTREAM_CLUSTER, timeout: '15s' } }],
                }],
              },
              http_filters: [
                {
                  name: 'envoy.filters.http.wasm',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
                    config: {
                      name: PLUGIN_NAME,
                      root_id: ROOT_ID,
                      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: JSON.stringify(p.config) },
                      vm_config: { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: wasmFile } } },
                    },
                  },
                },
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          }],
        }],
      }],
      clusters: [
        staticCluster(UPSTREAM_CLUSTER, p.upstreamUrl, trailers),
        ...Object.entries(p.services ?? {}).map(([name, url]) => staticCluster(`${name}.default.svc`, url)),
      ],
    },
  };
}

async function startEnvoyHost(p: PluginSetup): Promise<RunningHost> {
  const dir = mkdtempSync(path.join(tmpdir(), 'conformance-'));
  const wasmFile = path.join(dir, 'module.wasm');
  writeFileSync(wasmFile, p.wasm);
  const toWasm = (l: EnvoyLogLine): WasmLine | undefined => {
    if (l.logger !== 'wasm') return undefined;
    const w = splitWasm(l.message);
    if (!w) return undefined;
    return {
      level: ENVOY_LEVEL[l.level] ?? (l.level as Level), message: w.message, thread: l.thread, prefix: w.prefix,
      main: l.thread === envoy.lines[0]?.thread, source: l.source, time: lineTime(l.raw),
    };
  };
  let envoy: EnvoyProcess;
  try {
    envoy = await startEnvoy({
      bootstrap: envoyBootstrap(p, wasmFile),
      args: ['--concurrency', String(p.workers ?? 1), '--component-log-level', `wasm:${p.logLevel ?? 'info'}`],
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const wasmLines = () => envoy.lines.map(toWasm).filter((x): x is WasmLine => !!x);
  const rawLines = () => envoy.raw;
  const port = envoy.listeners[API_NAME];
  return {
    kind: 'envoy',
    url: `http://127.0.0.1:${port}`,
    port,
    wasmLines,
    rawLines,
    waitFor: poller(wasmLines, rawLines),
    envoy,
    async close() {
      await envoy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
