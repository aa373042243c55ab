// Helpers for the client's emulator-only tests (memory.test.ts): the emulator's proxy-wasm host running
// the test module tests/client/harness/index.ts (the real policy root and client, with a stream context
// that enqueues one synthetic transaction per request) against the mock Cequence. The end-to-end
// suites use harness/ instead (a gateway from the bundle, on every host).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createHost, type ProxyWasmHost, type SyntheticResult } from '../../emulator/host/index.ts';
import { startMockCequence, type MockCequence, type MockCequenceOptions } from '../../emulator/mock-cequence.ts';
import { CLIENT_ID, CLIENT_SECRET, fastSettings, mockCequenceConfig } from '../../harness/index.ts';
import { parseStats, waitFor, type Stats } from '../../harness/checks.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

const ASC_FLAGS = [
  '--runtime', 'minimal', '--exportStart', '_initialize', '--use', 'abort=abort_proc_exit',
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
 * The test module (tests/client/harness/index.ts), built with the release flags; cached in
 * node_modules/.cache/cequence-tests by a hash of the sources, so parallel test files compile it once.
 */
export function harnessWasm(): Buffer {
  if (built) return built;
  const hash = createHash('sha256');
  for (const f of [...sourceFiles(path.join(ROOT, 'assembly')), path.join(HERE, 'harness/index.ts'), path.join(ROOT, 'scripts/utf8-literals/index.mjs')]) {
    hash.update(f).update(readFileSync(f));
  }
  hash.update(ASC_FLAGS.join(' '));
  // A cache shared by the test files, kept in the project (node_modules/.cache), not in the temp directory.
  const cacheDir = path.join(ROOT, 'node_modules', '.cache', 'cequence-tests');
  mkdirSync(cacheDir, { recursive: true });
  const out = path.join(cacheDir, `client-harness-${hash.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(out)) return (built = readFileSync(out));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), 'tests/client/harness/index.ts',
      '--config', 'tests/client/harness/asconfig.json', '-o', tmp, ...ASC_FLAGS,
    ], { cwd: ROOT, stdio: 'pipe' });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`asc failed for the client harness:\n${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`);
  }
  built = readFileSync(out);
  return built;
}

export interface Env {
  mock: MockCequence;
  host: ProxyWasmHost;
  close: () => Promise<void>;
}

/** The test module in a bare host with `workers` VMs, its clusters pointing at a fresh mock Cequence. */
export async function startEnv(opts: { workers?: number; config?: Record<string, unknown>; mock?: MockCequenceOptions } = {}): Promise<Env> {
  const mock = await startMockCequence({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...opts.mock });
  const config: Record<string, unknown> = {
    ...mockCequenceConfig(mock),
    ...fastSettings(),
    ...opts.config,
  };
  let host: ProxyWasmHost;
  try {
    host = await createHost(harnessWasm(), {
      config,
      workers: opts.workers ?? 1,
      clusters: { 'cequence-auth-service.default.svc': mock.authUrl, 'cequence-edge-service.default.svc': mock.edgeUrl },
    });
  } catch (e) {
    await mock.close();
    throw e;
  }
  return {
    mock,
    host,
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

/** One request per id through the host (round-robin over workers), with `pad` bytes of response body
 *  in its transaction; each must pass untouched. */
export function send(host: ProxyWasmHost, txnIds: string[], pad = 0): void {
  for (const id of txnIds) {
    const body = `response for ${id}`;
    const r: SyntheticResult = host.runStream({
      request: {
        headers: { ':method': 'POST', ':path': `/api/${id}`, ':authority': 'gw.local', 'x-test-txn': id, 'x-test-pad': String(pad) },
        body: [`{"req":"${id}"}`],
      },
      response: { headers: { ':status': '200', 'content-type': 'text/plain' }, body: [body] },
    });
    assert.equal(r.localReply, undefined);
    assert.equal(r.reset, undefined);
    assert.equal(r.upstream.body.toString(), `{"req":"${id}"}`);
    assert.equal(r.downstream.body.toString(), body);
  }
}

/** The latest Stats line of every VM, summed; undefined until every VM has written one since `sinceIndex`. */
function latestStats(host: ProxyWasmHost, sinceIndex: number): Stats | undefined {
  const total: Stats = { captured: 0, sent: 0, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 };
  for (let w = 0; w < host.vms.length; w++) {
    let found: Stats | undefined;
    for (let i = host.logs.length - 1; i >= sinceIndex && !found; i--) {
      const e = host.logs[i];
      if (e.source === 'wasm' && e.worker === w) found = parseStats(e.message);
    }
    if (!found) return undefined;
    for (const k of Object.keys(total) as (keyof Stats)[]) total[k] += found[k];
  }
  return total;
}

/** Waits for Stats lines (from every VM) written after now whose sum satisfies `ok`. */
export async function waitForStats(host: ProxyWasmHost, ok: (s: Stats) => boolean, what: string, timeoutMs = 40000): Promise<Stats> {
  const since = host.logs.length;
  return waitFor(() => {
    const s = latestStats(host, since);
    return s && ok(s) ? s : undefined;
  }, what, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** No VM failed (trapped). */
export function assertHealthy(host: ProxyWasmHost): void {
  for (const vm of host.vms) assert.equal(vm.failed, false, `worker ${vm.index} failed: ${vm.failure}`);
}
