// Starts what an Envoy test needs: the recording upstream, the mock Cequence over HTTPS (a CA made for
// this run), a conf.d written from the real bundle (emulator/local-deploy.ts) and real Envoy on it.
// Everything on 127.0.0.1 and port 0; close() ends Envoy's process group and the servers.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { DOCKER_BUNDLE, K8S_BUNDLE, localDeploy } from '../../emulator/local-deploy.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';
import { startUpstream, type Upstream } from '../../emulator/upstream.ts';
import { testCa } from '../../emulator/test-ca.ts';
import { envoyVersion, startEnvoyGateway, type EnvoyGateway, type EnvoyGatewayOptions } from '../../envoy-gateway/index.ts';

export const K8S_WASM_PATH = '/etc/mulesoft/flex-gateway/wasm/cequence.wasm';

export interface EnvoyEnvOptions {
  bundle?: 'docker' | 'k8s';
  /** Fields merged into the binding's spec.config. */
  config?: Record<string, unknown>;
  workers?: number;
  /** Edit the conf.d before Envoy starts (e.g. retarget the binding). */
  prepare?: (dir: string) => void;
  gateway?: Partial<EnvoyGatewayOptions>;
}

export interface EnvoyEnv {
  gw: EnvoyGateway;
  upstream: Upstream;
  mock: MockCequence;
  dir: string;
  caFile: string;
  close(): Promise<void>;
}

/** Fails (never skips) with the reason when Envoy cannot run here. */
export function requireEnvoy(): string {
  return envoyVersion();
}

export async function startEnvoyEnv(o: EnvoyEnvOptions = {}): Promise<EnvoyEnv> {
  requireEnvoy();
  const ca = await testCa();
  const upstream = await startUpstream();
  const mock = await startMockCequence({ tls: ca });
  let gw: EnvoyGateway | undefined;
  const dir = localDeploy({
    bundleDir: o.bundle === 'k8s' ? K8S_BUNDLE : DOCKER_BUNDLE,
    upstreamUrl: upstream.url,
    authUrl: mock.authUrl,
    edgeUrl: mock.edgeUrl,
    listenPort: 0,
    config: {
      cequenceClientId: mock.clientId,
      cequenceClientSecret: mock.clientSecret,
      cequenceAuthPath: mock.authPath,
      cequenceFlushIntervalMs: 200,
      ...(o.config ?? {}),
    },
  });
  const close = async () => {
    await gw?.close();
    await mock.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    o.prepare?.(dir);
    gw = await startEnvoyGateway({
      dir,
      listenPort: 0,
      workers: o.workers ?? 1,
      caFile: ca.caFile,
      wasmPathMap: { [K8S_WASM_PATH]: path.join(K8S_BUNDLE, 'cequence_policy.wasm') },
      ...(o.gateway ?? {}),
    });
  } catch (e) {
    await close();
    throw e;
  }
  return { gw, upstream, mock, dir, caFile: ca.caFile, close };
}

/** Rewrite one conf.d YAML file the way `docker cp` lands it: a new file renamed over the old one. */
export function editConfFile(dir: string, file: string, edit: (docs: any[]) => void): void {
  const p = path.join(dir, file);
  const docs = parseAllDocuments(readFileSync(p, 'utf8')).map((d) => d.toJS());
  edit(docs);
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}-${file}.tmp`);
  writeFileSync(tmp, docs.map((d) => stringify(d)).join('---\n'));
  renameSync(tmp, p);
}

/** The binding's spec.config in a parsed cequence_binding.yaml. */
export function bindingConfig(docs: any[]): Record<string, unknown> {
  return docs.find((d) => d.kind === 'PolicyBinding').spec.config;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a new connection (no keep-alive pool: each request meets the current config). */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** What the policy logged in Envoy's log (`[cequence] …`), verbatim. */
export function cequenceLines(gw: EnvoyGateway, from = 0): string[] {
  return gw.entries.slice(from).filter((e) => e.wasm && e.wasm.text.startsWith('[cequence]')).map((e) => e.wasm!.text);
}
