// The Cequence client end to end, on every host (the emulator's gateway and real Envoy): real HTTP
// through a gateway loaded from the shipped bundle, with the mock Cequence as token endpoint and Edge
// (HTTPS on Envoy). Delivery and batching with the DESIGN §6 debug lines, auth on and off, one token
// shared by the workers, a revoked token, a failing token endpoint. Each call names its transaction
// (tests/client/e2e.ts); no test sleeps to assert: each waits for what Edge or the Stats lines show.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachHost, startSubject, CLIENT_ID, CLIENT_SECRET, type Subject } from '../../harness/index.ts';
import { assertNoSecrets, waitFor, waitForStats } from '../../harness/checks.ts';
import { assertBatch } from '../../emulator/wire-format.ts';
import { assertExactlyOnce, callAll, callOnEveryWorker, ids, idOf, sumOf, workersOf, SENDING, SENT } from './e2e.ts';

forEachHost('client delivery end to end', (host) => {
  // One gateway with two workers, batches of at most 3: shared by the first two tests.
  let s: Subject;
  let sent: string[] = [];
  before(async () => {
    // Module lines at every level (trace), so assertNoSecrets sees all of them.
    s = await startSubject({ host, workers: 2, config: { cequenceBatchMaxTransactions: 3 }, logLevel: 'trace' });
    sent = await callOnEveryWorker(s, 2, 12, 'd');
    await s.mock.waitForTransactions(sent.length, 20000);
  });
  after(async () => {
    await s?.close();
  });

  test('every transaction arrives once, in batches of at most cequenceBatchMaxTransactions, with the DESIGN §6 lines', async () => {
    assertExactlyOnce(s, sent);
    const st = await waitForStats(s, (x) => x.captured === sent.length && x.queued + x.inFlight === 0, `${sent.length} captured and sent`);
    assert.deepEqual(st, { captured: sent.length, sent: sent.length, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });
    for (const b of s.mock.batches) {
      assertBatch(b.json);
      assert.equal(b.headers['content-type'], 'application/json');
      assert.ok(b.transactions.length >= 1 && b.transactions.length <= 3, `batch of ${b.transactions.length}`);
      assert.match(String(b.headers['x-cequence-batch-id']), /\S/);
    }
    // One "sending" and one "sent" line per batch, their counts the batch sizes.
    const sizes = s.mock.batches.map((b) => b.transactions.length).sort();
    const sending = s.messages().map((m) => SENDING.exec(m)).filter(Boolean).map((m) => Number(m![1])).sort();
    const sentLines = s.messages().map((m) => SENT.exec(m)).filter(Boolean).map((m) => Number(m![1])).sort();
    assert.deepEqual(sending, sizes);
    assert.deepEqual(sentLines, sizes);
    assert.equal(sumOf(s, SENT), sent.length);
    // Both workers posted batches of their own.
    const posting = new Set(s.wasmLines().filter((l) => SENDING.test(l.text)).map((l) => l.worker));
    assert.equal(posting.size, 2, `workers that posted: ${[...posting]}`);
    const byWorker = await workersOf(s, sent);
    assert.equal(new Set(byWorker.values()).size, 2);
    assertNoSecrets(s);
  });

  test('one token for the gateway: the workers share it (one token request, the same bearer on every batch)', () => {
    assert.equal(s.mock.tokenRequests.length, 1, s.mock.tokenRequests.map((r) => r.outcome).join(','));
    const tr = s.mock.tokenRequests[0];
    assert.equal(tr.outcome, 'issued');
    assert.equal(tr.method, 'POST');
    assert.equal(tr.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(tr.rawBody.toString(),
      `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(CLIENT_SECRET).replace(/%20/g, '+')}`);
    assert.equal(s.mock.issuedTokens.length, 1);
    assert.ok(s.mock.batches.length >= 4);
    for (const b of s.mock.batches) assert.equal(b.token, s.mock.issuedTokens[0].token);
    assert.equal(s.messages().filter((m) => m.startsWith('[cequence] Token obtained')).length, 1);
  });

  test('enableDebugLogs false: delivered, with no per-request or per-batch line', async () => {
    const q = await startSubject({ host, config: { enableDebugLogs: false } });
    try {
      const list = ids(3, 'q');
      await callAll(q, list);
      await q.mock.waitForTransactions(3, 20000);
      assertExactlyOnce(q, list);
      await waitForStats(q, (x) => x.captured === 3 && x.sent === 3, '3 sent');
      const msgs = q.messages();
      assert.ok(msgs.includes('[cequence] Policy configured (debug_logs=false)'));
      const chatty = msgs.filter((m) => /^\[cequence\] (Captured|Built transaction|Root: sending|Root: edge callback|Configuration:)/.test(m));
      assert.deepEqual(chatty, []);
      assertNoSecrets(q);
    } finally {
      await q.close();
    }
  });

  test('cequenceAuthEnabled false: no token request and no Authorization header', async () => {
    const a = await startSubject({
      host,
      config: { cequenceAuthEnabled: false, cequenceClientId: '', cequenceClientSecret: '' },
      mock: { authRequired: false },
    });
    try {
      const list = ids(5, 'noauth');
      await callAll(a, list);
      await a.mock.waitForTransactions(5, 20000);
      assertExactlyOnce(a, list);
      assert.equal(a.mock.tokenRequests.length, 0);
      assert.ok(a.mock.edgeRequests.length >= 1);
      for (const r of a.mock.edgeRequests) assert.equal(r.headers.authorization, undefined);
      for (const b of a.mock.batches) assert.equal(b.token, undefined);
      assertNoSecrets(a);
    } finally {
      await a.close();
    }
  });

  test('Edge 401 (token revoked): one new token, the refused batch re-sent; nothing lost or duplicated', async () => {
    const r = await startSubject({ host, workers: 2 });
    try {
      const first = await callOnEveryWorker(r, 2, 4, 'pre');
      await r.mock.waitForTransactions(first.length, 20000);
      r.mock.revokeTokens();
      const second = ids(6, 'post');
      await callAll(r, second);
      await r.mock.waitForTransactions(first.length + second.length, 20000);
      const total = first.length + second.length;
      const st = await waitForStats(r, (x) => x.captured === total && x.queued + x.inFlight === 0, 'all sent');
      assert.deepEqual(st, { captured: total, sent: total, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });
      assertExactlyOnce(r, [...first, ...second]);
      assert.ok(r.mock.edgeRequests.some((e) => e.status === 401), 'a batch was refused');
      assert.equal(r.mock.issuedTokens.length, 2, 'one new token for the gateway');
      // Every batch of the second round came with the new token.
      const fresh = r.mock.issuedTokens[1].token;
      for (const b of r.mock.batches) if (b.transactions.some((t) => second.includes(idOf(t)))) assert.equal(b.token, fresh);
      assert.ok(r.messages().some((m) => /^\[cequence\] Root: edge callback - \d+ transaction\(s\) not sent \(status=401\); discarding the access token and re-sending once with a new one$/.test(m)),
        r.messages().join('\n'));
      assertNoSecrets(r);
    } finally {
      await r.close();
    }
  });

  for (const c of [
    { mode: 'garbage' as const, line: /^\[cequence\] Token request failed \(status=200\): response is not valid JSON; retrying in \d+ ms$/ },
    { mode: 500 as const, line: /^\[cequence\] Token request failed \(status=500\); retrying in \d+ ms$/ },
    { mode: 'hang' as const, line: /^\[cequence\] Token request failed \(status=504, timeout\); retrying in \d+ ms$/ },
    // A reset once the request headers arrived: a 503 of the host's own, on Envoy and the emulator alike.
    { mode: 'reset' as const, line: /^\[cequence\] Token request failed \(status=503, unavailable or connect failure\); retrying in \d+ ms$/ },
  ]) {
    test(`token endpoint answering ${c.mode}: the token failure line, one request per failure, then a token and delivery`, async () => {
      const t = await startSubject({ host, workers: 2, config: { cequenceRetryInitialBackoffMs: 100, cequenceAuthTimeoutMs: 300 } });
      try {
        await t.mock.setAuthMode(c.mode, { count: 3 });
        const list = await callOnEveryWorker(t, 2, 6, `tok${c.mode}`);
        await t.mock.waitForTransactions(list.length, 20000);
        assertExactlyOnce(t, list);
        // 3 failures, then one success: the workers share the backoff and never ask at the same time.
        assert.equal(t.mock.tokenRequests.length, 4, t.mock.tokenRequests.map((r) => r.outcome).join(','));
        const failures = t.messages().filter((m) => m.startsWith('[cequence] Token request failed'));
        assert.equal(failures.length, 3, failures.join('\n'));
        for (const f of failures) assert.match(f, c.line);
        assert.ok(t.messages().some((m) => m.startsWith('[cequence] Token obtained after 3 failed attempt(s)')), t.messages().join('\n'));
        for (const b of t.mock.batches) assert.equal(b.token, t.mock.issuedTokens[0].token);
        assertNoSecrets(t);
      } finally {
        await t.close();
      }
    });
  }

  test('token endpoint down: connect failures back off; nothing is sent without a token; delivered once it is back', async () => {
    const t = await startSubject({ host, config: { cequenceRetryInitialBackoffMs: 100 } });
    try {
      await t.mock.setAuthMode('down');
      const list = ids(3, 'authdown');
      await callAll(t, list);
      await waitFor(() => t.messages().filter((m) => /^\[cequence\] Token request failed \(status=503, unavailable or connect failure\); retrying in \d+ ms$/.test(m)).length >= 3, '3 token failures');
      assert.equal(t.mock.edgeRequests.length, 0);
      const st = await waitForStats(t, (x) => x.captured === 3, '3 captured');
      assert.equal(st.queued + st.inFlight, 3);
      await t.mock.setAuthMode('ok');
      await t.mock.waitForTransactions(3, 20000);
      assertExactlyOnce(t, list);
      assertNoSecrets(t);
    } finally {
      await t.close();
    }
  });

  test('a token answer that holds a token but is malformed is refused without echoing it', async () => {
    const t = await startSubject({ host, config: { cequenceRetryInitialBackoffMs: 100 } });
    try {
      const fake = 'eyJhbGciOiJSUzI1NiJ9.leaked-token-value-0123456789';
      await t.mock.setAuthMode('garbage', { count: 1, body: `{"access_token":"${fake}","expires_in":` });
      const list = ids(2, 'malformed');
      await callAll(t, list);
      await t.mock.waitForTransactions(2, 20000);
      assertExactlyOnce(t, list);
      assert.ok(t.messages().some((m) => m.startsWith('[cequence] Token request failed (status=200)')), t.messages().join('\n'));
      assertNoSecrets(t, ['leaked-token-value']);
    } finally {
      await t.close();
    }
  });

  test('Edge refusing every token: each batch is re-sent once with a fresh token, then dropped and counted as rejected', async () => {
    const t = await startSubject({ host, config: { cequenceBatchMaxTransactions: 5, cequenceFlushIntervalMs: 60000 } });
    try {
      await t.mock.setEdgeMode(401);
      await callAll(t, ids(5, 'refused'));
      const st = await waitForStats(t, (x) => x.rejected === 5, '5 rejected');
      assert.deepEqual(st, { captured: 5, sent: 0, dropped: 5, queueFull: 0, gaveUp: 0, rejected: 5, queued: 0, inFlight: 0 });
      assert.equal(t.mock.edgeRequests.length, 2, 'sent once, re-sent once');
      assert.equal(t.mock.issuedTokens.length, 2);
      assert.ok(t.messages().some((m) => m.startsWith('[cequence] Root: edge callback - 5 transaction(s) rejected (status=401), dropped; Edge refused a fresh token too')), t.messages().join('\n'));
      assertNoSecrets(t);
    } finally {
      await t.close();
    }
  });

  test('cequenceAuthEnabled false but Edge requires a token: each batch rejected once, with the hint, and counted', async () => {
    const t = await startSubject({ host, config: { cequenceAuthEnabled: false, cequenceBatchMaxTransactions: 3, cequenceFlushIntervalMs: 60000 } });
    try {
      await callAll(t, ids(3, 'needsauth'));
      const st = await waitForStats(t, (x) => x.rejected === 3, '3 rejected');
      assert.equal(st.captured, 3);
      assert.equal(t.mock.edgeRequests.length, 1);
      assert.equal(t.mock.tokenRequests.length, 0);
      assert.ok(t.messages().some((m) => m.includes('rejected (status=401), dropped; Edge requires a token: set cequenceAuthEnabled to true')), t.messages().join('\n'));
      assertNoSecrets(t);
    } finally {
      await t.close();
    }
  });

  test('one token per validity window for the whole gateway: 4 workers share it, renewed before it expires', async () => {
    // 3 s tokens: renewed a tenth of their lifetime (0.3 s) before expiry, so about every 2.7 s.
    const t = await startSubject({ host, workers: 4, mock: { tokenLifetimeSeconds: 3 } });
    try {
      const started = Date.now();
      const sent = await callOnEveryWorker(t, 4, 4, 'renew');
      while (Date.now() - started < 7000) {
        const batch = ids(2, 'renew');
        await callAll(t, batch);
        sent.push(...batch);
        await new Promise((r) => setTimeout(r, 100)); // pacing the traffic, not a condition
      }
      await t.mock.waitForTransactions(sent.length, 20000);
      const elapsed = Date.now() - started; // token requests are counted now: the window count is too
      assertExactlyOnce(t, sent);
      // Every batch came with a valid token: none was refused.
      assert.deepEqual(t.mock.edgeRequests.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.reason}`), []);
      // The token endpoint saw one request per validity window, not one per worker.
      const windows = Math.ceil(elapsed / 2700) + 1;
      assert.ok(t.mock.tokenRequests.length >= 2, `expected a renewal, got ${t.mock.tokenRequests.length} token request(s)`);
      assert.ok(t.mock.tokenRequests.length <= windows, `${t.mock.tokenRequests.length} token requests in ${elapsed} ms (at most ${windows} windows) for 4 workers`);
      assert.ok(t.mock.tokenRequests.every((r) => r.outcome === 'issued'));
      const posting = new Set(t.wasmLines().filter((l) => SENDING.test(l.text)).map((l) => l.worker));
      assert.equal(posting.size, 4, 'all four workers posted batches');
      await waitForStats(t, (x) => x.captured === sent.length && x.sent === sent.length, 'all sent');
      assertNoSecrets(t);
    } finally {
      await t.close();
    }
  });
});
