// The Cequence client end to end, on every host (the emulator's gateway and real Envoy): real HTTP
// through a gateway loaded from the shipped bundle, with the mock Cequence as token endpoint and Edge
// (HTTPS on Envoy). Delivery and batching with the DESIGN §6 debug lines, one token shared by the
// workers, debug lines off, auth off. (The token flow's failures are in token-e2e, Edge's in
// outage-e2e.) Each call names its transaction (tests/client/e2e.ts); no test sleeps to assert: each
// waits for what Edge or the Stats lines show.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachHost, startSubject, CLIENT_ID, CLIENT_SECRET, type Subject } from '../../harness/index.ts';
import { assertNoSecrets, waitForStats } from '../../harness/checks.ts';
import { assertBatch } from '../../emulator/wire-format.ts';
import { assertExactlyOnce, callAll, callOnEveryWorker, ids, sumOf, workersOf, SENDING, SENT } from './e2e.ts';

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
});
