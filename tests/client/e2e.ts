// Helpers for the client's end-to-end suites (delivery-e2e, token-e2e, outage-e2e): calls through a
// Subject that name their transaction (path /api/<id>, header x-test: <id>), checked to pass
// untouched, and what the mock Edge received, by id.
import assert from 'node:assert/strict';
import type { Subject } from '../../harness/index.ts';
import { headerValues } from '../../emulator/wire-format.ts';
import { waitFor } from '../../harness/checks.ts';

let seq = 0;
/** Unique transaction ids for this process ([a-z0-9-]). */
export function ids(n: number, prefix = 't'): string[] {
  return Array.from({ length: n }, () => `${prefix}-${++seq}`);
}

/** One POST /api/<id> through the gateway; the upstream's echo must come back unchanged. */
export async function call(s: Subject, id: string): Promise<void> {
  const body = JSON.stringify({ id });
  const r = await s.send({ method: 'POST', path: `/api/${id}`, headers: [['content-type', 'application/json'], ['x-test', id]], body });
  assert.equal(r.status, 200, `[${s.host}] ${id}: status`);
  const echo = JSON.parse(r.body.toString());
  assert.equal(echo.path, `/api/${id}`);
  assert.equal(echo.body, body, `[${s.host}] ${id}: the upstream got the body unchanged`);
  assert.equal(echo.headers['x-test'], id);
}

/** Calls each id in turn. */
export async function callAll(s: Subject, list: string[]): Promise<void> {
  for (const id of list) await call(s, id);
}

/** The id a transaction carries, read from its path and held against its x-test header. */
export function idOf(t: unknown): string {
  const req = (t as any).request;
  const id = String(req['uri-query-fragment']).replace(/^\/api\//, '');
  assert.deepEqual(headerValues(req, 'x-test'), [id], `the x-test header of ${id}`);
  return id;
}

/** Ids of the transactions the mock Edge accepted, in arrival order (repeats kept). */
export function delivered(s: Subject): string[] {
  return s.mock.transactions.map(idOf);
}

/** Each id delivered exactly once, and nothing else. */
export function assertExactlyOnce(s: Subject, expected: string[]): void {
  const got = delivered(s);
  assert.equal(new Set(got).size, got.length, `[${s.host}] a transaction arrived twice`);
  assert.deepEqual([...got].sort(), [...expected].sort());
}

/** The worker that captured each id (from its debug `Captured POST /api/<id>` line). */
export function workerOfIds(s: Subject): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of s.wasmLines()) {
    const m = /^\[cequence\] Captured POST \/api\/(\S+) \(/.exec(l.text);
    if (m) out.set(m[1], l.worker);
  }
  return out;
}

/**
 * Calls ids until every one of `workers` workers has captured at least one of them (at least `n`
 * calls). The emulator deals connections round-robin; Envoy lets the kernel spread them over its
 * workers' listeners, so on Envoy a few calls may land on one worker before another gets one (and its
 * log may lag the answers: a few more calls than needed are harmless).
 */
export async function callOnEveryWorker(s: Subject, workers: number, n: number, prefix: string): Promise<string[]> {
  const sent: string[] = [];
  while (sent.length < n || new Set(sent.map((id) => workerOfIds(s).get(id))).size < workers) {
    assert.ok(sent.length < n + 200, `[${s.host}] ${workers} workers never all got a connection`);
    const [id] = ids(1, prefix);
    await call(s, id);
    sent.push(id);
  }
  return sent;
}

/** The worker of each id, once every id's Captured line is in the log (Envoy's log can lag the answer). */
export async function workersOf(s: Subject, list: string[]): Promise<Map<string, number>> {
  return waitFor(() => {
    const m = workerOfIds(s);
    return list.every((id) => m.has(id)) ? m : undefined;
  }, `[${s.host}] a Captured line for each of ${list.length} calls`);
}

/** Sum of N over the module lines matching `re` (N its first group). */
export function sumOf(s: Subject, re: RegExp): number {
  return s.messages().map((m) => re.exec(m)).filter(Boolean).reduce((a, m) => a + Number(m![1]), 0);
}

export const SENDING = /^\[cequence\] Root: sending (\d+) transaction\(s\) to edge$/;
export const SENT = /^\[cequence\] Root: edge callback - (\d+) transaction\(s\) sent \(status=200\)$/;
