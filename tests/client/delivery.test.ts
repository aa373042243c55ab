// End to end: the real client (in the policy root) through the emulator's proxy-wasm host, against the
// mock Cequence. Batching, debug log lines, auth on and off, Edge errors and outages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  startEnv, ids, send, messages, deliveredIds, waitFor, waitForStats, assertNoSecrets, assertHealthy, CLIENT_ID, CLIENT_SECRET,
} from './helpers.ts';
import { assertBatch } from '../../emulator/wire-format.ts';

test('delivers every transaction once, with a valid token, and logs the DESIGN §6 lines in debug mode', async () => {
  const env = await startEnv({ config: { enableDebugLogs: true } });
  try {
    const txns = ids(7);
    send(env.host, txns);
    await env.mock.waitForTransactions(7);
    assert.deepEqual(deliveredIds(env.mock).sort(), [...txns].sort());

    // Token request: client-credentials form POST with URL-encoded credentials.
    assert.equal(env.mock.tokenRequests.length, 1);
    const tr = env.mock.tokenRequests[0];
    assert.equal(tr.outcome, 'issued');
    assert.equal(tr.method, 'POST');
    assert.equal(tr.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(tr.rawBody.toString(),
      `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(CLIENT_SECRET).replace(/%20/g, '+')}`);

    // Batches: JSON arrays, bearer token, content type, one token.
    for (const b of env.mock.batches) {
      assert.equal(b.headers['content-type'], 'application/json');
      assert.equal(b.token, env.mock.issuedTokens[0].token);
      assertBatch(b.json);
    }
    const s = await waitForStats(env.host, (x) => x.sent === 7, 'stats with 7 sent');
    assert.deepEqual(s, { captured: 7, sent: 7, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });
    const msgs = messages(env.host);
    const sending = msgs.map((m) => /^\[cequence\] Root: sending (\d+) transaction\(s\) to edge$/.exec(m)).filter(Boolean);
    const sent = msgs.map((m) => /^\[cequence\] Root: edge callback - (\d+) transaction\(s\) sent \(status=200\)$/.exec(m)).filter(Boolean);
    assert.equal(sending.reduce((a, m) => a + Number(m![1]), 0), 7);
    assert.equal(sent.reduce((a, m) => a + Number(m![1]), 0), 7);
    assert.equal(sent.length, env.mock.batches.length);
    assertNoSecrets(env);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('without debug logs: delivers, but writes no per-batch lines', async () => {
  const env = await startEnv();
  try {
    send(env.host, ids(3));
    await env.mock.waitForTransactions(3);
    await waitForStats(env.host, (x) => x.sent === 3, 'stats with 3 sent');
    const msgs = messages(env.host);
    assert.ok(msgs.includes('[cequence] Policy configured (debug_logs=false)'));
    assert.ok(!msgs.some((m) => m.includes('Root: sending') || m.includes('edge callback')), msgs.join('\n'));
    assertNoSecrets(env);
  } finally {
    await env.close();
  }
});
