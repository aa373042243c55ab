// Envoy's threading and streaming under load: two worker threads (one VM each) sharing one OAuth2 token
// through shared data, and 100 concurrent slow streams that all pass unchanged, concurrently (the
// policy never pauses a stream), each captured exactly once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { describe, test } from 'node:test';
import { decodeBody } from '../../emulator/wire-format.ts';
import { patternBytes } from '../../emulator/upstream.ts';
import type { Subject } from '../../harness/index.ts';
import { envoySubject, transactionsFor, wasmFailures } from './lib.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `f(i)` for i in 0..n-1, at most `width` at a time. */
async function pool<T>(n: number, width: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await f(i);
    }
  }));
  return out;
}

/** One request on its own connection whose body is written in `parts` pieces `gapMs` apart. */
function slowRequest(s: Subject, pathAndQuery: string, body: Buffer, parts: number, gapMs: number): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: pathAndQuery, agent: false,
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    void (async () => {
      const size = Math.ceil(body.length / parts);
      for (let o = 0; o < body.length; o += size) {
        req.write(body.subarray(o, o + size));
        await sleep(gapMs);
      }
      req.end();
    })();
  });
}

describe('envoy: two workers, 100 concurrent slow streams', () => {
  const subjectOf = envoySubject({ workers: 2, config: { enableDebugLogs: true } });

  test('two workers share one token: traffic on both threads, one token request, every batch with the same bearer token', async () => {
    const s = await subjectOf();
    const n = 60;
    const mark = s.mark();
    // New connections each (agent: false): the kernel spreads them over the two workers' listeners.
    const statuses = await pool(n, 6, (i) => s.send({ method: 'GET', path: `/workers/${i}` }).then((r) => r.status));
    assert.deepEqual(statuses, Array(n).fill(200));
    await s.mock.waitForTransactions(n, 20000);
    const captured = s.wasmLines(mark).filter((l) => l.text.startsWith('[cequence] Captured GET /workers/'));
    assert.equal(captured.length, n);
    const threads = new Set(captured.map((l) => l.worker));
    assert.equal(threads.size, 2, `requests handled on ${threads.size} worker thread(s): ${[...threads].join(', ')}`);
    const senders = new Set(s.wasmLines(mark).filter((l) => /^\[cequence\] Root: sending \d+ transaction/.test(l.text)).map((l) => l.worker));
    assert.equal(senders.size, 2, 'both workers\' root contexts posted batches');
    assert.equal(s.mock.counts.tokensIssued, 1, 'one token for the gateway');
    assert.equal(s.mock.tokenRequests.length, 1, 'one token request');
    const token = s.mock.issuedTokens[0].token;
    assert.ok(s.mock.batches.length >= 2);
    for (const b of s.mock.batches) assert.equal(b.token, token, `batch ${b.seq} carries the shared token`);
    for (let i = 0; i < n; i++) assert.equal(transactionsFor(s, `/workers/${i}`).length, 1, `/workers/${i} captured once`);
  });

  test('100 concurrent slow streams (upstream waits 500 ms, bodies trickle both ways): all unchanged, each captured once, not paused', async () => {
    const s = await subjectOf();
    const before = s.mock.transactions.length;
    const delay = 500;
    const n = 100;
    const size = 2000;
    const expected = patternBytes('text', 0, size);
    const bodyOf = (i: number) => Buffer.from(Array.from({ length: 1500 }, (_, k) => (i * 13 + k) & 0xff));
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: n }, (_, i) =>
      slowRequest(s, `/slow/${i}?delay=${delay}&size=${size}&chunked=1&pace=50`, bodyOf(i), 3, 50)));
    const elapsed = Date.now() - started;
    for (const [i, r] of replies.entries()) {
      assert.equal(r.status, 200, `/slow/${i}`);
      assert.equal(sha(r.body), sha(expected), `/slow/${i} answer unchanged`);
    }
    // Serialised, 100 streams would take more than 100 × 500 ms; concurrently, about one delay plus the trickle.
    assert.ok(elapsed < 30 * delay, `100 slow streams took ${elapsed} ms (bound ${30 * delay} ms)`);
    for (let i = 0; i < n; i++) {
      const ex = s.upstream.exchanges.find((e) => e.path === `/slow/${i}`)!;
      assert.equal(ex.request.sha256, sha(bodyOf(i)), `/slow/${i} request body reached the upstream unchanged`);
    }
    await s.mock.waitForTransactions(before + n, 20000);
    for (let i = 0; i < n; i++) {
      const t = transactionsFor(s, `/slow/${i}?delay=${delay}&size=${size}&chunked=1&pace=50`);
      assert.equal(t.length, 1, `/slow/${i} captured once`);
      assert.ok(decodeBody(t[0].request).equals(bodyOf(i)), `/slow/${i} request body captured exactly`);
      assert.ok(decodeBody(t[0].response).equals(expected), `/slow/${i} response body captured exactly`);
    }
    assert.equal(s.mock.transactions.length, before + n);
    assert.equal(s.mock.tokenRequests.length, 1, 'still the one token');
    assert.deepEqual(wasmFailures(s), []);
  });
});
