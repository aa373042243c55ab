// The Cequence client's OAuth2 token flow end to end, on every host (the emulator's gateway and real
// Envoy): real HTTP through a gateway loaded from the shipped bundle, with the mock Cequence as token
// endpoint and Edge (HTTPS on Envoy). A revoked token, a token endpoint that fails in every way and
// then recovers, an Edge refusing every token, auth off while Edge wants one, and one token per
// validity window shared by four workers. Calls name their transaction (tests/client/e2e.ts); no test
// sleeps to assert: each waits for what Edge or the Stats lines show.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachHost, startSubject } from '../../harness/index.ts';
import { assertNoSecrets, waitFor, waitForStats } from '../../harness/checks.ts';
import { assertExactlyOnce, callAll, callOnEveryWorker, ids, idOf, SENDING } from './e2e.ts';

forEachHost('client token end to end', (host) => {
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
