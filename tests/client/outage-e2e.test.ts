// The Cequence client end to end when Cequence misbehaves, on every host (the emulator's gateway and
// real Envoy): real HTTP through a gateway loaded from the shipped bundle, against the mock Cequence
// (HTTPS on Envoy). Edge down and back, the queue bound and its drop counter, the serviceNamespace
// mismatch line, and calls answered as without the policy whatever Cequence does. The accounting is
// read from the Stats lines (harness/checks.ts): captured = sent + dropped + queued + in flight.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { forEachHost, startSubject } from '../../harness/index.ts';
import { assertNoSecrets, waitForStats } from '../../harness/checks.ts';
import { assertExactlyOnce, callAll, callOnEveryWorker, delivered, ids, sumOf, workersOf, SENT } from './e2e.ts';

/** Batches of exactly `n`: a batch leaves when full (the flush interval is the schema's longest). */
function oneBatchOf(n: number): Record<string, unknown> {
  return { cequenceBatchMaxTransactions: n, cequenceFlushIntervalMs: 60000 };
}

/** Edge resetting the connection once the request headers arrived: Envoy answers the call itself with a
 *  503 ("upstream connect error or disconnect/reset before headers"), and so does the emulator. */
const RESET = /^\[cequence\] Root: edge callback - 4 transaction\(s\) not sent \(status=503, unavailable or connect failure\); retrying in \d+ ms$/;
const RETRYING = /^\[cequence\] Root: edge callback - \d+ transaction\(s\) not sent \(status=503, unavailable or connect failure\); retrying in \d+ ms$/;

forEachHost('client outages end to end', (host) => {
  test('Edge down, then back: every transaction arrives exactly once, and the Stats lines balance', async () => {
    const s = await startSubject({ host, workers: 2 });
    try {
      const up = await callOnEveryWorker(s, 2, 6, 'up');
      await s.mock.waitForTransactions(up.length, 20000);
      await s.mock.setEdgeMode('down');
      const mark = s.mark();
      const down = ids(10, 'down');
      await callAll(s, down);
      await s.waitForMessage(RETRYING, 20000, mark);
      // Stats taken while Edge is down: what is not sent is queued or in flight, nothing dropped.
      const during = await waitForStats(s, (x) => x.captured === up.length + down.length, 'every call captured');
      assert.equal(during.sent, up.length);
      assert.equal(during.dropped, 0);
      assert.equal(during.queued + during.inFlight, down.length);
      await s.mock.setEdgeMode('ok');
      const back = ids(4, 'back');
      await callAll(s, back);
      const all = [...up, ...down, ...back];
      await s.mock.waitForTransactions(all.length, 20000);
      const st = await waitForStats(s, (x) => x.captured === all.length && x.queued + x.inFlight === 0, 'drained');
      assert.deepEqual(st, { captured: all.length, sent: all.length, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });
      assertExactlyOnce(s, all);
      const txnIds = s.mock.transactions.map((t: any) => t['transaction-id']);
      assert.equal(new Set(txnIds).size, txnIds.length, 'transaction ids are unique');
      // Retried batches are posted again: the "sent" lines still add up to each transaction once.
      assert.equal(sumOf(s, SENT), all.length);
      assert.equal(s.mock.tokenRequests.length, 1);
      assertNoSecrets(s);
    } finally {
      await s.close();
    }
  });

  test('cequenceQueueMaxTransactions: over the bound while Edge is down the oldest are dropped, and the drop counter equals exactly what is missing at Edge', async () => {
    const s = await startSubject({ host, workers: 2, config: { cequenceQueueMaxTransactions: 15, cequenceBatchMaxTransactions: 5 } });
    try {
      await s.mock.setEdgeMode('down');
      const list = await callOnEveryWorker(s, 2, 60, 'bound');
      await s.waitForMessage(/^\[cequence\] Queue full: dropped \d+ transaction\(s\) \(oldest first; bounds 15 transactions/, 20000);
      const byWorker = await workersOf(s, list);
      await waitForStats(s, (x) => x.captured === list.length, 'every call captured');
      await s.mock.setEdgeMode('ok');
      const st = await waitForStats(s, (x) => x.captured === list.length && x.queued + x.inFlight === 0, 'drained');
      const got = delivered(s);
      assert.equal(new Set(got).size, got.length, 'a transaction arrived twice');
      const missing = list.filter((id) => !got.includes(id));
      assert.ok(st.queueFull > 0, JSON.stringify(st));
      assert.equal(st.dropped, st.queueFull);
      assert.equal(st.sent, got.length);
      assert.equal(st.dropped, missing.length, 'dropped counter vs transactions missing at Edge');
      // Drop-oldest, per worker: each worker's newest 15 (its queue bound) arrived. The count bound is
      // on what is queued (assembly/client/queue.ts); batches already out, at most 2 in flight
      // (cequenceMaxInFlightBatches) of 5, are held on top of it until they resolve, so a worker
      // keeps between 15 and 25 (the byte bound counts both).
      for (const w of new Set(byWorker.values())) {
        const mine = list.filter((id) => byWorker.get(id) === w);
        for (const id of mine.slice(-15)) assert.ok(got.includes(id), `worker ${w} lost one of its newest transactions: ${id}`);
        const kept = mine.filter((id) => got.includes(id)).length;
        assert.ok(kept <= 15 + 2 * 5, `worker ${w} kept ${kept} of ${mine.length}`);
      }
      assertNoSecrets(s);
    } finally {
      await s.close();
    }
  });

  for (const auth of [true, false]) {
    test(`serviceNamespace other than the Services' namespace (auth ${auth ? 'on' : 'off'}): the "serviceNamespace mismatch" line naming the cluster; traffic untouched, transactions stay queued`, async () => {
      // The Services (and everything else) are in namespace "default"; the policy is told "prod".
      const s = await startSubject({ host, config: { serviceNamespace: 'prod', cequenceAuthEnabled: auth }, mock: { authRequired: auth } });
      try {
        const started = Date.now();
        const list = ids(5, 'ns');
        await callAll(s, list);
        const cluster = auth ? 'cequence-auth-service.prod.svc' : 'cequence-edge-service.prod.svc';
        const line = await s.waitForMessage(/serviceNamespace mismatch/, 20000);
        assert.ok(line.startsWith(`[cequence] serviceNamespace mismatch: the gateway has no cluster ${cluster}`), line);
        assert.ok(line.includes("serviceNamespace must equal the Services' metadata.namespace"), line);
        const st = await waitForStats(s, (x) => x.captured === 5, '5 captured');
        assert.equal(st.queued + st.inFlight, 5);
        assert.equal(st.sent + st.dropped, 0);
        assert.equal(s.mock.tokenRequests.length + s.mock.edgeRequests.length, 0, 'nothing reached Cequence');
        // Rate-limited: about one line per Stats interval (1 s) per worker, although the refused
        // calls are retried every few hundred ms (loose bound: no timing is asserted tightly).
        const lines = s.wasmLines().filter((l) => l.text.includes('serviceNamespace mismatch'));
        const perWorker = new Map<number, number>();
        for (const l of lines) perWorker.set(l.worker, (perWorker.get(l.worker) ?? 0) + 1);
        const bound = Math.ceil((Date.now() - started) / 1000) + 2;
        for (const [w, n] of perWorker) assert.ok(n <= bound, `worker ${w}: ${n} mismatch lines in ${Date.now() - started} ms`);
        assertNoSecrets(s);
      } finally {
        await s.close();
      }
    });
  }

  test('cequenceEdgeTimeoutMs: a batch answered after the timeout is retried (status=504, timeout) and arrives once', async () => {
    const s = await startSubject({ host, config: { ...oneBatchOf(8), cequenceEdgeTimeoutMs: 300 } });
    try {
      await s.mock.setEdgeMode('slow', { delayMs: 1000, count: 2 });
      const list = ids(8, 'slow');
      await callAll(s, list);
      await s.mock.waitForTransactions(8, 20000);
      await waitForStats(s, (x) => x.captured === 8 && x.sent === 8 && x.inFlight === 0, '8 sent');
      assertExactlyOnce(s, list);
      const timeouts = s.messages().filter((m) => /^\[cequence\] Root: edge callback - 8 transaction\(s\) not sent \(status=504, timeout\); retrying in \d+ ms$/.test(m));
      assert.equal(timeouts.length, 2, s.messages().join('\n'));
      assertNoSecrets(s);
    } finally {
      await s.close();
    }
  });

  test('Edge resetting the connection, then answering 502: retried and delivered, nothing dropped', async () => {
    const s = await startSubject({ host, config: oneBatchOf(4) });
    try {
      await s.mock.setEdgeMode('reset', { count: 1 });
      const first = ids(4, 'reset');
      await callAll(s, first);
      await s.mock.waitForTransactions(4, 20000);
      await s.mock.setEdgeMode(502, { count: 2 });
      const second = ids(4, 'bad-gw');
      await callAll(s, second);
      await s.mock.waitForTransactions(8, 20000);
      const st = await waitForStats(s, (x) => x.captured === 8 && x.sent === 8, '8 sent');
      assert.equal(st.dropped, 0);
      assertExactlyOnce(s, [...first, ...second]);
      const msgs = s.messages();
      assert.equal(msgs.filter((m) => RESET.test(m)).length, 1, msgs.join('\n'));
      assert.equal(msgs.filter((m) => /^\[cequence\] Root: edge callback - 4 transaction\(s\) not sent \(status=502\); retrying in \d+ ms$/.test(m)).length, 2);
      assertNoSecrets(s);
    } finally {
      await s.close();
    }
  });

  // cequenceRetryGiveUpMs on a clock the test moves (the emulator host's `now` option; Envoy's clock
  // cannot be stopped, so this one runs on the emulator only). Wall-clock time and scheduling do not
  // enter: while the clock stands still the module cannot retry, give up or write a Stats line, so
  // every step waits for an event that must come, then moves the clock by exactly the delay the module
  // announced. The shipped module (policies-k8s/cequence_policy.wasm) runs in the bare host, its
  // clusters pointing at the mock Cequence; each stream is one synthetic call through the filter.
  if (host === 'emulator') test('cequenceRetryGiveUpMs (fake clock): a batch still failing at the give-up age is dropped and counted as gave_up, in the callback of its last attempt; later batches go through', async () => {
    const { readFileSync } = await import('node:fs');
    const { createHost } = await import('../../emulator/host/index.ts');
    const { startMockCequence } = await import('../../emulator/mock-cequence.ts');
    const { CLIENT_ID, CLIENT_SECRET, fastSettings } = await import('../../harness/index.ts');
    const { parseStats } = await import('../../harness/checks.ts');
    const GIVE_UP_MS = 1000;
    let clockNs = 1_700_000_000_000_000_000n;
    const advanceMs = (ms: number) => { clockNs += BigInt(ms) * 1_000_000n; };
    const mock = await startMockCequence({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    let gw: Awaited<ReturnType<typeof createHost>> | undefined;
    try {
      gw = await createHost(readFileSync(new URL('../../policies-k8s/cequence_policy.wasm', import.meta.url)), {
        now: () => clockNs,
        config: {
          cequenceAuthUrl: mock.authUrl, cequenceEdgeUrl: mock.edgeUrl, cequenceClientId: mock.clientId,
          cequenceClientSecret: mock.clientSecret, cequenceAuthPath: mock.authPath, cequenceEdgePath: mock.edgePath,
          ...fastSettings(), ...oneBatchOf(5), cequenceRetryGiveUpMs: GIVE_UP_MS, cequenceRetryMaxBackoffMs: 200, cequenceStatsIntervalMs: 1000,
        },
        clusters: { 'cequence-auth-service.default.svc': mock.authUrl, 'cequence-edge-service.default.svc': mock.edgeUrl },
      });
      const host = gw;
      const lines = () => host.logs.filter((e) => e.source === 'wasm').map((e) => e.message);
      // Waits for an event (never for a duration); a miss fails here, with this test's own stack and log.
      const until = async <T>(what: string, probe: () => T | undefined | false): Promise<T> => {
        for (let i = 0; i < 2000; i++) {
          const v = probe();
          if (v) return v;
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.fail(`cequenceRetryGiveUpMs (fake clock): no ${what} after 20 s of real time; module lines:\n${lines().join('\n')}`);
      };
      const stream = (id: string) => {
        const r = host.runStream({
          request: { headers: { ':method': 'POST', ':path': `/api/${id}`, ':authority': 'gw.local', 'x-test': id }, body: [`{"id":"${id}"}`] },
          response: { headers: { ':status': '200', 'content-type': 'application/json' }, body: ['{}'] },
        });
        assert.equal(r.localReply, undefined, `${id} passed without a local reply`);
      };
      const statsAfter = async (what: string, ok: (x: NonNullable<ReturnType<typeof parseStats>>) => boolean) => {
        const from = lines().length;
        advanceMs(1000); // one Stats interval
        return until(`Stats line with ${what}`, () => lines().slice(from).map(parseStats).find((x) => x && ok(x)));
      };

      await mock.setEdgeMode(500);
      for (let i = 0; i < 5; i++) stream(`lost-${i}`);
      const RETRY = /^\[cequence\] Root: edge callback - 5 transaction\(s\) not sent \(status=500\); retrying in (\d+) ms$/;
      const GAVE_UP = /^\[cequence\] Root: edge callback - 5 transaction\(s\) not sent \(status=500\); gave up after 1 s of retries, 5 transaction\(s\) dropped$/;
      // Each failed attempt announces its retry delay; the clock moves by exactly that delay, and the
      // next attempt follows. The attempt whose retry would start at or after the give-up age gives up.
      let elapsedMs = 0;
      for (let attempt = 1; ; attempt++) {
        const verdict = await until(`answer to attempt ${attempt}`, () => {
          const out = lines().filter((m) => RETRY.test(m) || GAVE_UP.test(m));
          return out.length >= attempt ? out[attempt - 1] : undefined;
        });
        assert.equal(mock.edgeRequests.length, attempt, 'one Edge request per attempt');
        if (GAVE_UP.test(verdict)) {
          assert.ok(attempt >= 3, `gave up after ${attempt} attempt(s) in ${elapsedMs} ms of clock`);
          break;
        }
        const delay = Number(RETRY.exec(verdict)![1]);
        assert.ok(delay >= 1 && delay <= 200, `retry delay ${delay} ms within cequenceRetryMaxBackoffMs`);
        assert.ok(elapsedMs + delay < GIVE_UP_MS, `a retry was scheduled at ${elapsedMs + delay} ms, past the give-up age`);
        elapsedMs += delay;
        advanceMs(delay);
      }
      assert.equal(lines().filter((m) => GAVE_UP.test(m)).length, 1, 'one gave-up line');
      assert.equal(lines().filter((m) => /gave up on/.test(m)).length, 0, 'not given up on the timer: the clock never passed a scheduled retry');
      const lost = await statsAfter('gave_up=5', (x) => x.gaveUp === 5);
      assert.deepEqual(lost, { captured: 5, sent: 0, dropped: 5, queueFull: 0, gaveUp: 5, rejected: 0, queued: 0, inFlight: 0 });
      assert.equal(mock.transactions.length, 0);

      await mock.setEdgeMode('ok');
      for (let i = 0; i < 5; i++) stream(`later-${i}`);
      await until('5 transactions at Edge', () => mock.transactions.length >= 5);
      const got = mock.transactions.map((t: any) => t.request['uri-query-fragment']).sort();
      assert.deepEqual(got, [0, 1, 2, 3, 4].map((i) => `/api/later-${i}`), 'the later batch, exactly once');
      const done = await statsAfter('sent=5', (x) => x.sent === 5 && x.queued + x.inFlight === 0);
      assert.deepEqual(done, { captured: 10, sent: 5, dropped: 5, queueFull: 0, gaveUp: 5, rejected: 0, queued: 0, inFlight: 0 });
      for (const vm of host.vms) assert.equal(vm.failed, false, `worker ${vm.index}: ${vm.failure}`);
      const secretLines = lines().filter((m) => m.includes(mock.clientSecret));
      assert.deepEqual(secretLines, [], 'no secret in any line');
    } finally {
      gw?.close();
      await mock.close();
    }
  });

  test('Edge answering 400: the batch is logged and dropped (rejected), not retried', async () => {
    const s = await startSubject({ host, config: oneBatchOf(4) });
    try {
      await s.mock.setEdgeMode(400, { count: 1 });
      await callAll(s, ids(4, 'refused'));
      const st = await waitForStats(s, (x) => x.rejected === 4, '4 rejected');
      assert.deepEqual(st, { captured: 4, sent: 0, dropped: 4, queueFull: 0, gaveUp: 0, rejected: 4, queued: 0, inFlight: 0 });
      assert.equal(s.mock.edgeRequests.length, 1);
      assert.ok(s.messages().includes('[cequence] Root: edge callback - 4 transaction(s) rejected (status=400), dropped'), s.messages().join('\n'));
      assertNoSecrets(s);
    } finally {
      await s.close();
    }
  });

  test('whatever Cequence does, every call through the gateway is answered as without the policy, and the accounting stays exact', async () => {
    const s = await startSubject({
      host,
      workers: 2,
      config: { cequenceEdgeTimeoutMs: 300, cequenceAuthTimeoutMs: 300, cequenceRetryGiveUpMs: 1500 },
    });
    try {
      const m = s.mock;
      // Each phase lasts until the client has met it (its line), so every phase is exercised.
      const phases: [string, () => Promise<void>, RegExp][] = [
        ['all ok', async () => { await m.setEdgeMode('ok'); await m.setAuthMode('ok'); }, SENT],
        ['edge down', () => m.setEdgeMode('down'), RETRYING],
        ['edge slower than the timeout', () => m.setEdgeMode('slow', { delayMs: 800 }), /not sent \(status=504, timeout\)/],
        ['edge 500', () => m.setEdgeMode(500), /not sent \(status=500\)/],
        ['edge refusing tokens', async () => { await m.setEdgeMode('ok'); m.revokeTokens(); await m.setEdgeMode(401); }, /rejected \(status=401\), dropped; Edge refused a fresh token too/],
        ['token endpoint garbage', async () => { await m.setEdgeMode('ok'); m.revokeTokens(); await m.setAuthMode('garbage'); }, /^\[cequence\] Token request failed \(status=200\): response is not valid JSON/],
        ['token endpoint hanging', () => m.setAuthMode('hang'), /^\[cequence\] Token request failed \(status=504, timeout\)/],
        ['token endpoint down', () => m.setAuthMode('down'), /^\[cequence\] Token request failed \(status=503, unavailable or connect failure\)/],
      ];
      const sent: string[] = [];
      for (const [name, apply, met] of phases) {
        await apply();
        const mark = s.mark();
        for (const [i, id] of ids(6, 'any').entries()) {
          const path = `/api/items/${id}?status=${i % 2 ? 201 : 404}&header=x-up:${id}&type=application/json`;
          const body = JSON.stringify({ id, n: i });
          const direct = await answer(s.upstream.url, path, undefined, body);
          const via = await answer(s.url, path, id, body);
          assert.deepEqual(comparable(via), comparable(direct), `${name}: ${id}`);
          sent.push(id);
        }
        await s.waitForMessage(met, 20000, mark);
      }
      // Back to normal: everything still held is delivered; the rest is counted, exactly.
      await m.setAuthMode('ok');
      await m.setEdgeMode('ok');
      const st = await waitForStats(s, (x) => x.captured === sent.length && x.queued + x.inFlight === 0, 'drained', 60000);
      const got = m.transactions.map((t: any) => String(t.request['uri-query-fragment']).replace(/^\/api\/items\/([^?]+)\?.*$/, '$1'));
      assert.equal(new Set(got).size, got.length, 'a transaction arrived twice');
      assert.equal(st.sent, got.length);
      assert.equal(st.dropped, sent.filter((id) => !got.includes(id)).length, 'dropped counter vs missing');
      assert.ok(st.sent > 0 && st.rejected > 0, JSON.stringify(st)); // the 401 phase drops, the others deliver
      assertNoSecrets(s);
    } finally {
      await s.close();
    }
  });
});

interface Answer { status: number; body: string; type?: string; custom?: string | string[] }

function answer(base: string, path: string, id: string | undefined, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (id) headers['x-test'] = id;
    const req = http.request(base.replace(/\/$/, '') + path, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), type: res.headers['content-type'], custom: res.headers['x-up'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the client sees without the policy: the upstream's answer, minus what depends on the hop. */
function comparable(a: Answer): Answer {
  if (a.type?.startsWith('application/json')) {
    const j = JSON.parse(a.body);
    // The echo reports the request headers, which the gateway legitimately changes (x-request-id,
    // x-forwarded-*, host); compare what the client sent and what came back.
    return { ...a, body: JSON.stringify({ method: j.method, path: j.path, query: j.query, body: j.body }) };
  }
  return a;
}



