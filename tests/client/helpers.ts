// Helpers for the Cequence client's end-to-end tests: the emulator's proxy-wasm host running a module
// whose root is the real policy root (and so the real client), against the mock Cequence.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createHost, type ProxyWasmHost, type SyntheticResult } from '../../emulator/host/index.ts';
import { startMockCequence, type MockCequence, type MockCequenceOptions } from '../../emulator/mock-cequence.ts';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');

export const CLIENT_ID = 'client-e2e';
export const CLIENT_SECRET = 'S3cr3t-e2e+/=&%value';

const ASC_FLAGS = [
  '--runtime', 'incremental', '--exportStart', '_initialize', '--use', 'abort=abort_proc_exit',
  '-O3', '--shrinkLevel', '1', '--noAssert',
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

let built: Buffer | undefined;
/**
 * The harness module (tests/client/harness/index.ts): the real policy root and client, with a stream
 * context that enqueues one small transaction per request. Built with the release flags; cached in
 * the temp directory by a hash of the sources, so parallel test files compile it once.
 */
export function harnessWasm(): Buffer {
  if (built) return built;
  const hash = createHash('sha256');
  for (const f of [...sourceFiles(path.join(ROOT, 'assembly')), path.join(HERE, 'harness/index.ts')]) {
    hash.update(f).update(readFileSync(f));
  }
  hash.update(ASC_FLAGS.join(' '));
  const out = path.join(tmpdir(), `cq-client-harness-${hash.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(out)) return (built = readFileSync(out));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), 'tests/client/harness/index.ts',
      '--config', 'tests/client/harness/asconfig.json', '-o', tmp, ...ASC_FLAGS,
    ], { cwd: ROOT, stdio: 'pipe' });
    renameSync(tmp, out);
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`asc failed for the client harness:\n${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`);
  }
  built = readFileSync(out);
  return built;
}

export interface Env {
  mock: MockCequence;
  host: ProxyWasmHost;
  config: Record<string, unknown>;
  close: () => Promise<void>;
}

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

export async function startEnv(opts: {
  workers?: number;
  config?: Record<string, unknown>;
  mock?: MockCequenceOptions;
  /** Namespace the gateway's Services live in (clusters are <service>.<ns>.svc). */
  serviceNamespace?: string;
} = {}): Promise<Env> {
  const mock = await startMockCequence({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...opts.mock });
  const ns = opts.serviceNamespace ?? 'default';
  const config: Record<string, unknown> = { ...policyConfigFor(mock), ...opts.config };
  let host: ProxyWasmHost;
  try {
    host = await createHost(harnessWasm(), {
      config,
      workers: opts.workers ?? 1,
      clusters: {
        [`cequence-auth-service.${ns}.svc`]: mock.authUrl,
        [`cequence-edge-service.${ns}.svc`]: mock.edgeUrl,
      },
    });
  } catch (e) {
    await mock.close();
    throw e;
  }
  return {
    mock,
    host,
    config,
    close: async () => {
      host.close();
      await mock.close();
    },
  };
}

let seq = 0;
/** Unique transaction ids for this process. */
export function ids(n: number, prefix = 't'): string[] {
  return Array.from({ length: n }, () => `${prefix}${++seq}`);
}

/** One request per id through the host (round-robin over workers); each must pass untouched. */
export function send(host: ProxyWasmHost, txnIds: string[], pad = 0, worker?: number): void {
  for (const id of txnIds) {
    const body = `response for ${id}`;
    const r: SyntheticResult = host.runStream({
      worker,
      request: {
        headers: { ':method': 'POST', ':path': `/api/${id}`, ':authority': 'gw.local', 'x-test-txn': id, 'x-test-pad': String(pad) },
        body: [`{"req":"${id}"}`],
      },
      response: { headers: { ':status': '200', 'content-type': 'text/plain' }, body: [body] },
    });
    // The gateway's traffic is not affected: no local reply, no reset, everything passed through.
    assert.equal(r.localReply, undefined);
    assert.equal(r.reset, undefined);
    assert.equal(r.upstream.body.toString(), `{"req":"${id}"}`);
    assert.equal(r.downstream.body.toString(), body);
    assert.equal(r.downstream.headers?.find(([k]) => k === ':status')?.[1], '200');
  }
}

/** Messages the module logged, in order (optionally for one worker). */
export function messages(host: ProxyWasmHost, worker?: number): string[] {
  return host.logs.filter((e) => e.source === 'wasm' && (worker === undefined || e.worker === worker)).map((e) => e.message);
}

export interface Stats {
  captured: number; sent: number; dropped: number; queueFull: number; gaveUp: number; rejected: number;
  queued: number; inFlight: number;
}
const STATS = /^\[cequence\] Stats: captured=(\d+) sent=(\d+) dropped=(\d+) \(queue_full=(\d+) gave_up=(\d+) rejected=(\d+)\) queued=(\d+) \(\d+ bytes\) in_flight=(\d+) /;

export function parseStats(line: string): Stats | undefined {
  const m = STATS.exec(line);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return { captured: n[0], sent: n[1], dropped: n[2], queueFull: n[3], gaveUp: n[4], rejected: n[5], queued: n[6], inFlight: n[7] };
}

/** The latest stats line of every worker, summed; undefined until every worker has written one since `sinceIndex`. */
export function latestStats(host: ProxyWasmHost, sinceIndex = 0): Stats | undefined {
  const total: Stats = { captured: 0, sent: 0, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 };
  for (let w = 0; w < host.vms.length; w++) {
    let found: Stats | undefined;
    for (let i = host.logs.length - 1; i >= sinceIndex; i--) {
      const e = host.logs[i];
      if (e.source !== 'wasm' || e.worker !== w) continue;
      found = parseStats(e.message);
      if (found) break;
    }
    if (!found) return undefined;
    for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += found[k];
  }
  return total;
}

export async function waitFor<T>(fn: () => T | undefined | false | null, what: string, timeoutMs = 10000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for a stats line (from every worker) written after now that satisfies `ok`. */
/** The policy configuration pointing at a mock Cequence, with the fast test timings. */
export function policyConfigFor(mock: MockCequence): Record<string, unknown> {
  return {
    cequenceAuthUrl: mock.authUrl,
    cequenceEdgeUrl: mock.edgeUrl,
    cequenceClientId: CLIENT_ID,
    cequenceClientSecret: CLIENT_SECRET,
    cequenceAuthPath: mock.authPath,
    cequenceEdgePath: mock.edgePath,
    ...fastSettings(),
  };
}

export async function waitForStats(host: ProxyWasmHost, ok: (s: Stats) => boolean, what: string, timeoutMs = 40000): Promise<Stats> {
  const since = host.logs.length;
  return waitFor(() => {
    const s = latestStats(host, since);
    return s && ok(s) ? s : undefined;
  }, what, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The test id of a transaction: the last segment of its path (/api/<id>, as `send` requests it). */
export function testIdOf(t: unknown): string {
  return String((t as any).request['uri-query-fragment']).replace(/^\/api\//, '');
}

/** Test ids of the transactions the mock Edge accepted, in order. */
export function deliveredIds(mock: MockCequence): string[] {
  return mock.transactions.map(testIdOf);
}

/** No log line at any level (the module's or the host's) holds the client secret or any issued token. */
export function assertNoSecrets(env: Env): void {
  const lines = env.host.logs.map((e) => e.line + '\n' + e.message);
  const secrets = [CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET), ...env.mock.issuedTokens.map((t) => t.token)];
  for (const s of secrets) {
    // Also look for a long fragment, in case a line was cut.
    const fragment = s.length > 24 ? s.slice(-24) : s;
    for (const l of lines) assert.ok(!l.includes(fragment), `a log line holds a secret or token: ${l.slice(0, 200)}`);
  }
}

/** No VM failed (trapped). */
export function assertHealthy(host: ProxyWasmHost): void {
  for (const vm of host.vms) assert.equal(vm.failed, false, `worker ${vm.index} failed: ${vm.failure}`);
}
