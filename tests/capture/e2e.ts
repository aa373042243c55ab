// End-to-end plumbing for the capture tests: the policy compiled from the current sources, the
// emulator's local gateway loading the shipped bundle YAML (definition, implementation, binding) plus an
// ApiInstance, the recording upstream, and the mock Cequence (token endpoint + Edge collector).
// Everything listens on 127.0.0.1; `close()` stops all of it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import asc from 'assemblyscript/asc';
import { startGateway, type Gateway } from '../../emulator/gateway/index.ts';
import { startUpstream, type Upstream } from '../../emulator/upstream.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** True while assembly/client/client.ts is still the placeholder that sends nothing (issue 5 not merged). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let compiled: Promise<string> | undefined;
/**
 * The policy module built from the current sources (release target, the shipped flags): the build's
 * own build/cequence_policy.wasm when it is newer than every file under assembly/ (npm ci / npm run
 * build made it), else a fresh compile into a temporary directory. Once per process.
 */
export function compilePolicy(): Promise<string> {
  compiled ??= (async () => {
    const built = join(ROOT, 'build', 'cequence_policy.wasm');
    if (existsSync(built) && statSync(built).mtimeMs >= newestSource(join(ROOT, 'assembly'))) return built;
    const dir = mkdtempSync(join(tmpdir(), 'cq-capture-'));
    const out = join(dir, 'cequence_policy.wasm');
    const { error, stderr } = await asc.main(
      [join(ROOT, 'assembly', 'index.ts'), '--target', 'release', '--config', join(ROOT, 'asconfig.json'), '--outFile', out, '--textFile', join(dir, 'policy.wat')],
      {},
    );
    if (error) throw new Error('policy compile failed: ' + stderr.toString());
    return out;
  })();
  return compiled;
}

/** The module's imports, as "module.name". */
export function moduleImports(wasmFile: string): string[] {
  return WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmFile))).map((i) => `${i.module}.${i.name}`);
}

export interface EnvOptions {
  debug?: boolean;
  workers?: number;
  /** Extra spec.config fields (override the defaults written here). */
  config?: Record<string, unknown>;
}

export interface Env {
  gateway: Gateway;
  upstream: Upstream;
  mock: MockCequence;
  /** What the policy logged, verbatim ("[cequence] …"), in order. */
  wasmMessages(): string[];
  close(): Promise<void>;
}

function docs(file: string): any[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
}

export async function startEnv(opts: EnvOptions = {}): Promise<Env> {
  const wasm = await compilePolicy();
  const upstream = await startUpstream();
  const mock = await startMockCequence();
  const dir = mkdtempSync(join(tmpdir(), 'cq-confd-'));
  try {
    // Definition and implementation exactly as shipped (Kubernetes variant: file:// path mapped below).
    writeFileSync(join(dir, 'cequence_definition.yaml'), readFileSync(join(ROOT, 'policies-k8s', 'cequence_definition.yaml')));
    writeFileSync(join(dir, 'cequence_implementation.yaml'), readFileSync(join(ROOT, 'policies-k8s', 'cequence_implementation.yaml')));
    const impl = docs(join(ROOT, 'policies-k8s', 'cequence_implementation.yaml')).find((d) => d?.kind === 'Extension');
    const wasmUrl: string = impl.spec.properties.implementation.default;
    const wasmPath = decodeURIComponent(new URL(wasmUrl).pathname);

    // The shipped binding with the operator's edits: service addresses, config, target.
    const binding = docs(join(ROOT, 'policies-k8s', 'cequence_binding.yaml'));
    for (const d of binding) {
      if (d?.kind === 'Service' && d.metadata.name === 'cequence-auth-service') d.spec.address = mock.authUrl;
      if (d?.kind === 'Service' && d.metadata.name === 'cequence-edge-service') d.spec.address = mock.edgeUrl;
      if (d?.kind === 'PolicyBinding') {
        d.spec.targetRef = { kind: 'ApiInstance', name: 'capture-api' };
        Object.assign(d.spec.config, {
          cequenceAuthUrl: mock.authUrl,
          cequenceEdgeUrl: mock.edgeUrl,
          cequenceClientId: mock.clientId,
          cequenceClientSecret: mock.clientSecret,
          cequenceAuthPath: mock.authPath,
          cequenceEdgePath: mock.edgePath,
          enableDebugLogs: opts.debug ?? true,
          cequenceFlushIntervalMs: 100,
          ...(opts.config ?? {}),
        });
      }
    }
    writeFileSync(join(dir, 'cequence_binding.yaml'), binding.map((d) => stringify(d)).join('---\n'));
    writeFileSync(
      join(dir, 'api-instance.yaml'),
      stringify({
        apiVersion: 'gateway.mulesoft.com/v1alpha1',
        kind: 'ApiInstance',
        metadata: { name: 'capture-api', namespace: 'default' },
        spec: { address: 'http://0.0.0.0:8081/', services: { upstream: { address: upstream.url } } },
      }),
    );
    const gateway = await startGateway({
      dir,
      listenPort: 0,
      workers: opts.workers ?? 2,
      wasmPathMap: { [wasmPath]: wasm },
      logLevel: 'info',
    });
    return {
      gateway,
      upstream,
      mock,
      wasmMessages: () => gateway.entries.filter((e) => e.source === 'wasm').map((e) => e.message),
      async close() {
        await gateway.close();
        await upstream.close();
        await mock.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await upstream.close();
    await mock.close();
    throw e;
  }
}

export interface Sent {
  status: number;
  /** Response headers as received, [lowercase name, value] in order (repeats kept). */
  headers: [string, string][];
  body: Buffer;
  /** The client's local port (the gateway's view: source port). */
  localPort: number;
}

export interface Request {
  method: string;
  path: string;
  headers: [string, string][];
  /** One buffer: sent with content-length. Several: sent chunked (transfer-encoding), one write each. */
  body?: Buffer | Buffer[];
}

function pairsOf(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** Sends one request through the gateway on a fresh connection (raw headers: repeats kept). */
export function send(gw: Gateway, r: Request): Promise<Sent> {
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    // A raw header array gets no automatic Host: send it first, as a client would.
    const raw: string[] = ['host', u.host];
    for (const [k, v] of r.headers) raw.push(k, v);
    const chunked = Array.isArray(r.body);
    if (!chunked) raw.push('content-length', String(r.body ? (r.body as Buffer).length : 0));
    let localPort = 0;
    const req = http.request({ host: u.hostname, port: u.port, method: r.method, path: r.path, headers: raw as any, agent: false });
    req.on('socket', (s) => s.on('connect', () => (localPort = (s.address() as AddressInfo).port)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: pairsOf(res.rawHeaders), body: Buffer.concat(chunks), localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunked) {
      for (const c of r.body as Buffer[]) req.write(c);
      req.end();
    } else {
      req.end(r.body as Buffer | undefined);
    }
  });
}

export { pairsOf };
