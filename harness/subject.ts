// The one end-to-end harness: a recording upstream, the mock Cequence and a Flex local-mode gateway
// loaded from a built bundle (local-deploy.ts writes the conf.d an operator would), with the
// gateway host as a parameter: `emulator` (the proxy-wasm host on Node's V8) or `envoy` (real Envoy,
// Cequence reached over HTTPS with a CA made for the run). Tests, benchmarks and the demo start here.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DOCKER_BUNDLE, K8S_BUNDLE, localDeploy, type LocalDeployOptions } from './local-deploy.ts';
import { startMockCequence, type MockCequence, type MockCequenceOptions } from '../emulator/mock-cequence.ts';
import { startUpstream, type Upstream } from '../emulator/upstream.ts';
import { testCa } from '../emulator/test-ca.ts';
import { startGateway, type Gateway } from '../emulator/gateway/index.ts';
import { envoyVersion, startEnvoyGateway, type EnvoyGateway, type EnvoyGatewayOptions } from '../envoy-gateway/index.ts';
import { sendRequest, type Request, type Sent } from './http-client.ts';

export type HostName = 'emulator' | 'envoy';
export const HOSTS: readonly HostName[] = ['emulator', 'envoy'];

/** Where the Kubernetes implementation reads the module; mapped to the bundle's own file. */
export const K8S_WASM_PATH = '/etc/mulesoft/flex-gateway/wasm/cequence.wasm';

export const CLIENT_ID = 'client-e2e';
/** Characters that need form-encoding, so a secret that leaks half-encoded is found too. */
export const CLIENT_SECRET = 'S3cr3t-e2e+/=&%value';

/** Settings that keep tests short: small intervals, timeouts and backoffs (all within the schema's bounds). */
export function fastSettings(): Record<string, unknown> {
  return {
    cequenceFlushIntervalMs: 100,
    cequenceStatsIntervalMs: 1000,
    cequenceEdgeTimeoutMs: 1000,
    cequenceAuthTimeoutMs: 1000,
    cequenceRetryInitialBackoffMs: 50,
    cequenceRetryMaxBackoffMs: 400,
    cequenceRetryGiveUpMs: 60000,
  };
}

export interface SubjectOptions {
  host: HostName;
  /** Which bundle's definition and implementation: docker (inline base64 module, default) or k8s (file://). */
  bundle?: 'docker' | 'k8s';
  /** Gateway workers: one VM each (Envoy `--concurrency`). Default 1. */
  workers?: number;
  /** Fields merged into the binding's spec.config over the harness's (credentials, fast settings, debug on). */
  config?: Record<string, unknown>;
  /** Mock Cequence options (fault modes, lifetimes, ...). */
  mock?: MockCequenceOptions;
  /** Namespace of every resource (and serviceNamespace unless config overrides it). */
  namespace?: string;
  /** Replace the implementation's module (e.g. base64:// of a baseline). */
  implementation?: string;
  withoutPolicy?: boolean;
  /** Edit the conf.d before the gateway starts. */
  prepare?: (dir: string) => void;
  /** Extra Envoy launcher options (envoy only). */
  envoy?: Partial<EnvoyGatewayOptions>;
  /** Lowest level of the module's lines the gateway shows (default info): the emulator's log level,
   *  Envoy's `--component-log-level wasm:<level>` (unless `envoy.componentLogLevel` says otherwise). */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

export interface LogLine {
  /** What the module logged, verbatim ("[cequence] …"). */
  text: string;
  level: string;
  /** The worker that logged it: the emulator's VM index, Envoy's thread id. */
  worker: number;
}

export interface Subject {
  host: HostName;
  /** The gateway's listener, http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  upstream: Upstream;
  mock: MockCequence;
  /** The conf.d the gateway loaded. */
  dir: string;
  /** Gateway log lines as printed (Envoy's own format on both hosts). */
  logs(): string[];
  /** What the module logged, in order, from log line index `from` (see `mark`). */
  wasmLines(from?: number): LogLine[];
  /** The text of `wasmLines`. */
  messages(from?: number): string[];
  /** The current end of the log, for `messages(mark)`. */
  mark(): number;
  /** Resolves with the first module line matching `re` (from `from`), or rejects after `timeoutMs`. */
  waitForMessage(re: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** One request on a new connection, raw headers kept in order (repeats kept). */
  send(r: Request): Promise<Sent>;
  /** The gateway behind the subject, for what only one host has. */
  emulator?: Gateway;
  envoy?: EnvoyGateway;
  close(): Promise<void>;
}

/** The binding fields that point the policy at a mock Cequence: its URLs, credentials and paths. */
export function mockCequenceConfig(mock: MockCequence): Record<string, unknown> {
  return {
    cequenceAuthUrl: mock.authUrl,
    cequenceEdgeUrl: mock.edgeUrl,
    cequenceClientId: mock.clientId,
    cequenceClientSecret: mock.clientSecret,
    cequenceAuthPath: mock.authPath,
    cequenceEdgePath: mock.edgePath,
  };
}

/** The harness's binding config: the mock's fields, fast settings, debug lines on. */
function policyConfig(mock: MockCequence, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...mockCequenceConfig(mock),
    enableDebugLogs: true,
    ...fastSettings(),
    ...extra,
  };
}

/** Fails (never skips) with the reason when Envoy cannot run here. */
export function requireHost(host: HostName): void {
  if (host === 'envoy') envoyVersion();
}

export async function startSubject(o: SubjectOptions): Promise<Subject> {
  requireHost(o.host);
  const onEnvoy = o.host === 'envoy';
  const ca = onEnvoy ? await testCa() : undefined;
  const upstream = await startUpstream();
  const mock = await startMockCequence({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...(ca ? { tls: ca } : {}), ...o.mock });
  const deploy: LocalDeployOptions = {
    bundleDir: o.bundle === 'k8s' ? K8S_BUNDLE : DOCKER_BUNDLE,
    upstreamUrl: upstream.url,
    authUrl: mock.authUrl,
    edgeUrl: mock.edgeUrl,
    listenPort: 0,
    namespace: o.namespace,
    implementation: o.implementation,
    withoutPolicy: o.withoutPolicy,
    config: policyConfig(mock, o.config),
  };
  const dir = localDeploy(deploy);
  const wasmPathMap = { [K8S_WASM_PATH]: path.join(K8S_BUNDLE, 'cequence_policy.wasm') };
  let emulator: Gateway | undefined;
  let envoy: EnvoyGateway | undefined;
  const stop = async () => {
    await emulator?.close();
    await envoy?.close();
    await mock.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    o.prepare?.(dir);
    if (onEnvoy) {
      const wasmLevel = o.logLevel && o.logLevel !== 'info' ? { componentLogLevel: `wasm:${o.logLevel === 'warn' ? 'warning' : o.logLevel}` } : {};
      envoy = await startEnvoyGateway({ dir, listenPort: 0, workers: o.workers ?? 1, caFile: ca!.caFile, wasmPathMap, ...wasmLevel, ...o.envoy });
    } else {
      emulator = await startGateway({ dir, listenPort: 0, workers: o.workers ?? 1, wasmPathMap, logLevel: o.logLevel ?? 'info' });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const gw = (emulator ?? envoy)!;
  const wasmLines = (from = 0): LogLine[] => {
    if (emulator) {
      return emulator.entries.slice(from).filter((e) => e.source === 'wasm').map((e) => ({ text: e.message, level: e.level, worker: e.worker ?? 0 }));
    }
    return envoy!.entries.slice(from).filter((e) => e.wasm).map((e) => ({ text: e.wasm!.text, level: e.level, worker: e.thread ?? 0 }));
  };
  const entryCount = () => (emulator ? emulator.entries.length : envoy!.entries.length);
  const subject: Subject = {
    host: o.host,
    url: gw.url,
    port: gw.port,
    upstream,
    mock,
    dir,
    emulator,
    envoy,
    logs: () => gw.logs,
    wasmLines,
    messages: (from = 0) => wasmLines(from).map((l) => l.text),
    mark: entryCount,
    async waitForMessage(re, timeoutMs = 10000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = wasmLines(from).find((l) => re.test(l.text));
        if (hit) return hit.text;
        if (Date.now() > deadline) throw new Error(`[${o.host}] timed out after ${timeoutMs} ms waiting for a module line matching ${re}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    send: (r) => sendRequest(gw.url, r),
    close: stop,
  };
  return subject;
}
