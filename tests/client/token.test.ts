// End to end: the OAuth2 token lifecycle of the real client (emulator host + mock Cequence).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  startEnv, ids, send, messages, deliveredIds, waitFor, waitForStats, assertNoSecrets, assertHealthy, sleep,
} from './helpers.ts';

test('one token per validity window for the whole gateway (4 workers share it), renewed before expiry', async () => {
  // 3 s tokens: renewed 0.3 s (a tenth) before expiry, i.e. every ~2.7 s.
  const env = await startEnv({ workers: 4, mock: { tokenLifetimeSeconds: 3 } });
  try {
    const started = Date.now();
    const sent: string[] = [];
    while (Date.now() - started < 7000) {
      const batch = ids(4, 'w');
      send(env.host, batch); // round-robin: one per worker
      sent.push(...batch);
      await sleep(100);
    }
    const elapsed = Date.now() - started;
    await env.mock.waitForTransactions(sent.length, 10000);
    assert.deepEqual(deliveredIds(env.mock).sort(), [...sent].sort());
    // Every batch came with a valid token: none was refused.
    assert.deepEqual(env.mock.edgeRequests.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.reason}`), []);
    // All four workers sent batches...
    const workersSending = new Set(env.host.logs.filter((e) => e.message.includes('Stats:') && !/ sent=0 /.test(e.message)).map((e) => e.worker));
    // ...but the token endpoint saw one request per validity window, not one per worker.
    const windows = Math.ceil(elapsed / 2700) + 1;
    assert.ok(env.mock.tokenRequests.length >= 2, `expected a renewal, got ${env.mock.tokenRequests.length} token request(s)`);
    assert.ok(env.mock.tokenRequests.length <= windows,
      `${env.mock.tokenRequests.length} token requests in ${elapsed} ms (at most ${windows} windows) for ${env.host.vms.length} workers`);
    assert.ok(env.mock.tokenRequests.every((r) => r.outcome === 'issued'));
    await waitForStats(env.host, (s) => s.sent === sent.length, 'all sent');
    assert.ok(workersSending.size >= 1);
    for (let w = 0; w < 4; w++) {
      assert.ok(messages(env.host, w).some((m) => /Stats: captured=[1-9]/.test(m)), `worker ${w} captured nothing`);
    }
    assertNoSecrets(env);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('Edge 401 (token revoked): discards the token, fetches one new token, re-sends; nothing lost or duplicated', async () => {
  const env = await startEnv({ workers: 2 });
  try {
    const first = ids(4);
    send(env.host, first);
    await env.mock.waitForTransactions(4);
    env.mock.revokeTokens();
    const second = ids(6);
    send(env.host, second);
    await env.mock.waitForTransactions(10);
    await waitForStats(env.host, (s) => s.sent === 10 && s.queued === 0 && s.inFlight === 0, 'all sent');
    const got = deliveredIds(env.mock);
    assert.equal(new Set(got).size, got.length, 'duplicates delivered');
    assert.deepEqual([...got].sort(), [...first, ...second].sort());
    assert.ok(env.mock.edgeRequests.some((r) => r.status === 401), 'expected a refused batch');
    assert.equal(env.mock.issuedTokens.length, 2, 'one new token for the gateway');
    const msgs = messages(env.host);
    assert.ok(msgs.some((m) => /^\[cequence\] Root: edge callback - \d+ transaction\(s\) not sent \(status=401\); discarding the access token/.test(m)), msgs.join('\n'));
    assertNoSecrets(env);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('Edge refusing every token: each batch is re-sent once, then dropped and counted as rejected', async () => {
  const env = await startEnv();
  try {
    await env.mock.setEdgeMode(401);
    send(env.host, ids(5));
    const s = await waitForStats(env.host, (x) => x.rejected === 5, '5 rejected');
    assert.deepEqual(s, { captured: 5, sent: 0, dropped: 5, queueFull: 0, gaveUp: 0, rejected: 5, queued: 0, inFlight: 0 });
    assert.equal(env.mock.edgeRequests.length, 2, 'sent once, re-sent once');
    const msgs = messages(env.host);
    assert.ok(msgs.some((m) => m.startsWith('[cequence] Root: edge callback - 5 transaction(s) rejected (status=401), dropped; Edge refused a fresh token too')), msgs.join('\n'));
    assertNoSecrets(env);
  } finally {
    await env.close();
  }
});

for (const c of [
  { mode: 'garbage' as const, line: /^\[cequence\] Token request failed \(status=200\): response is not valid JSON; retrying in \d+ ms$/ },
  { mode: 500 as const, line: /^\[cequence\] Token request failed \(status=500\); retrying in \d+ ms$/ },
  { mode: 'hang' as const, line: /^\[cequence\] Token request failed \(status=504, timeout\); retrying in \d+ ms$/ },
  { mode: 'reset' as const, line: /^\[cequence\] Token request failed \(status=(0, connection reset or no response|503, unavailable or connect failure)\); retrying in \d+ ms$/ },
]) {
  test(`token endpoint answering ${c.mode}: backs off (one request per failure), then recovers and delivers`, async () => {
    const env = await startEnv({ workers: 2, config: { cequenceAuthTimeoutMs: 300, cequenceRetryInitialBackoffMs: 100 } });
    try {
      await env.mock.setAuthMode(c.mode, { count: 3 });
      const txns = ids(6);
      send(env.host, txns);
      await env.mock.waitForTransactions(6, 15000);
      assert.deepEqual(deliveredIds(env.mock).sort(), [...txns].sort());
      // 3 failures, then one success: the two workers never asked concurrently or in a loop.
      assert.equal(env.mock.tokenRequests.length, 4, env.mock.tokenRequests.map((r) => r.outcome).join(','));
      const failures = messages(env.host).filter((m) => m.startsWith('[cequence] Token request failed'));
      assert.equal(failures.length, 3, failures.join('\n'));
      for (const f of failures) assert.match(f, c.line);
      assert.ok(messages(env.host).some((m) => m.startsWith('[cequence] Token obtained after 3 failed attempt(s)')));
      assertNoSecrets(env);
      assertHealthy(env.host);
    } finally {
      await env.close();
    }
  });
}

test('token endpoint down: connect failures back off; nothing is sent without a token; recovers when it is back', async () => {
  const env = await startEnv({ config: { cequenceRetryInitialBackoffMs: 100, cequenceRetryMaxBackoffMs: 400 } });
  try {
    await env.mock.setAuthMode('down');
    const txns = ids(3);
    send(env.host, txns);
    await waitFor(() => messages(env.host).filter((m) => m.startsWith('[cequence] Token request failed (status=503')).length >= 3, '3 failures');
    assert.equal(env.mock.edgeRequests.length, 0);
    const s = await waitForStats(env.host, () => true, 'a stats line');
    assert.equal(s.queued, 3);
    await env.mock.setAuthMode('ok');
    await env.mock.waitForTransactions(3, 10000);
    assert.deepEqual(deliveredIds(env.mock).sort(), [...txns].sort());
    assertNoSecrets(env);
  } finally {
    await env.close();
  }
});

test('a token answer whose body holds the token but is malformed is refused without echoing it', async () => {
  const env = await startEnv({ config: { cequenceRetryInitialBackoffMs: 100 } });
  try {
    const fake = 'eyJhbGciOiJSUzI1NiJ9.leaked-token-value-0123456789';
    await env.mock.setAuthMode('garbage', { count: 1, body: `{"access_token":"${fake}","expires_in":` });
    send(env.host, ids(2));
    await env.mock.waitForTransactions(2, 10000);
    for (const e of env.host.logs) assert.ok(!e.line.includes('leaked-token-value'), e.line);
  } finally {
    await env.close();
  }
});

test('auth disabled: no token request and no Authorization header', async () => {
  const env = await startEnv({ config: { cequenceAuthEnabled: false, cequenceClientId: '', cequenceClientSecret: '' }, mock: { authRequired: false } });
  try {
    const txns = ids(5);
    send(env.host, txns);
    await env.mock.waitForTransactions(5);
    assert.equal(env.mock.tokenRequests.length, 0);
    for (const r of env.mock.edgeRequests) assert.equal(r.headers.authorization, undefined);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('auth disabled but Edge requires a token: batches rejected once each with a hint, counted', async () => {
  const env = await startEnv({ config: { cequenceAuthEnabled: false } });
  try {
    send(env.host, ids(3));
    const s = await waitForStats(env.host, (x) => x.rejected === 3, '3 rejected');
    assert.equal(s.captured, 3);
    assert.equal(env.mock.edgeRequests.length, 1);
    assert.ok(messages(env.host).some((m) => m.includes('rejected (status=401), dropped; Edge requires a token: set cequenceAuthEnabled to true')));
    assertNoSecrets(env);
  } finally {
    await env.close();
  }
});
