// End to end: Edge outages, slowness and errors, bounds and the drop accounting, the serviceNamespace
// mismatch line (real client in the emulator host, mock Cequence).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  startEnv, ids, send, messages, deliveredIds, waitFor, waitForStats, assertNoSecrets, assertHealthy, sleep,
} from './helpers.ts';

function vmMemory(env: { host: { vms: { exports: Record<string, any> }[] } }): number[] {
  return env.host.vms.map((vm) => (vm.exports.memory as WebAssembly.Memory).buffer.byteLength);
}

test('Edge down for a long stretch, then back: under the bounds every transaction arrives exactly once', async () => {
  const env = await startEnv({ workers: 2 });
  try {
    await env.mock.setEdgeMode('down');
    const txns: string[] = [];
    for (let i = 0; i < 20; i++) {
      const b = ids(3);
      send(env.host, b);
      txns.push(...b);
      await sleep(100);
    }
    await waitFor(() => messages(env.host).filter((m) => /not sent \(status=503, unavailable or connect failure\); retrying in \d+ ms$/.test(m)).length >= 4, 'retries');
    assert.equal(env.mock.transactions.length, 0);
    await env.mock.setEdgeMode('ok');
    await env.mock.waitForTransactions(txns.length, 15000);
    const s = await waitForStats(env.host, (x) => x.queued === 0 && x.inFlight === 0, 'drained');
    const got = deliveredIds(env.mock);
    assert.equal(new Set(got).size, got.length, 'a transaction arrived twice');
    assert.deepEqual([...got].sort(), [...txns].sort());
    assert.deepEqual(s, { captured: 60, sent: 60, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });
    assertNoSecrets(env);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('Edge down, over the bounds: the oldest are dropped, and the drop counter equals exactly what is missing', async () => {
  const env = await startEnv({ workers: 2, config: { cequenceQueueMaxTransactions: 15, cequenceBatchMaxTransactions: 5 } });
  try {
    await env.mock.setEdgeMode('down');
    const txns: string[] = [];
    for (let i = 0; i < 10; i++) {
      const b = ids(20);
      send(env.host, b);
      txns.push(...b);
      await sleep(50);
    }
    await waitFor(() => messages(env.host).some((m) => /^\[cequence\] Queue full: dropped \d+ transaction\(s\) \(oldest first; bounds 15 transactions/.test(m)), 'drop warning');
    await env.mock.setEdgeMode('ok');
    const s = await waitForStats(env.host, (x) => x.queued === 0 && x.inFlight === 0 && x.captured === 200, 'drained');
    const got = deliveredIds(env.mock);
    assert.equal(new Set(got).size, got.length, 'a transaction arrived twice');
    const missing = txns.filter((t) => !got.includes(t));
    assert.ok(s.queueFull > 0);
    assert.equal(s.dropped, s.queueFull);
    assert.equal(s.sent, got.length);
    assert.equal(s.dropped, missing.length, 'dropped counter vs transactions missing at the Edge');
    assert.equal(s.captured, s.sent + s.dropped);
    // Drop-oldest: streams alternate over the two workers, and each worker's newest 15 (its queue
    // bound) were kept and delivered.
    for (const w of [0, 1]) {
      const mine = txns.filter((_, i) => i % 2 === w);
      for (const t of mine.slice(-15)) assert.ok(got.includes(t), `worker ${w} lost one of its newest transactions: ${t}`);
    }
    assertNoSecrets(env);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('memory stays within the configured bounds plus a fixed overhead while Edge is down', async () => {
  const bound = 262144;
  const env = await startEnv({ config: { cequenceQueueMaxBytes: bound, cequenceQueueMaxTransactions: 100000 } });
  try {
    await env.mock.setEdgeMode('down');
    const before = vmMemory(env)[0];
    const rounds = async (n: number) => {
      for (let round = 0; round < n; round++) {
        send(env.host, ids(500, 'm'), 4000); // 500 transactions of ~4 KB
        await sleep(100);
      }
    };
    await rounds(6); // ~12 MB through a 256 KiB queue
    const first = vmMemory(env)[0];
    await rounds(12); // ~24 MB more
    const second = vmMemory(env)[0];
    if (process.env.CQ_DEBUG) console.log(`memory ${before} -> ${first} -> ${second}`);
    const s = await waitForStats(env.host, (x) => x.captured === 9000, 'stats');
    assert.ok(s.queueFull > 8500, `expected most to be dropped, got ${JSON.stringify(s)}`);
    // Bounded: the queue holds at most 256 KiB (queued + in flight); the rest is the runtime, the
    // stream side's buffers and garbage-collector slack, a fixed multiple that does not grow with
    // traffic (measured: about 8x the bound at this size, 4x at the 4 MiB default).
    assert.ok(first <= 8 * bound + 1024 * 1024, `memory grew from ${before} to ${first} bytes`);
    assert.ok(second <= first, `memory kept growing with traffic: ${first} -> ${second} bytes`);
    await env.mock.setEdgeMode('ok');
    const done = await waitForStats(env.host, (x) => x.queued === 0 && x.inFlight === 0, 'drained');
    assert.equal(done.sent, env.mock.transactions.length);
    assert.equal(done.captured, done.sent + done.dropped);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('Edge slow (answers after the timeout): timed-out batches are retried and arrive once', async () => {
  const env = await startEnv({ config: { cequenceEdgeTimeoutMs: 300 } });
  try {
    await env.mock.setEdgeMode('slow', { delayMs: 1000, count: 2 });
    const txns = ids(8);
    send(env.host, txns);
    await env.mock.waitForTransactions(8, 15000);
    await waitForStats(env.host, (x) => x.sent === 8 && x.inFlight === 0, 'sent');
    assert.deepEqual(deliveredIds(env.mock).sort(), [...txns].sort());
    const timeouts = messages(env.host).filter((m) => /^\[cequence\] Root: edge callback - 8 transaction\(s\) not sent \(status=504, timeout\); retrying in \d+ ms$/.test(m));
    assert.equal(timeouts.length, 2, messages(env.host).join('\n'));
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});

test('Edge resetting the connection, then a 5xx: retried and delivered', async () => {
  const env = await startEnv();
  try {
    await env.mock.setEdgeMode('reset', { count: 1 });
    send(env.host, ids(4));
    await env.mock.waitForTransactions(4, 10000);
    await env.mock.setEdgeMode(502, { count: 2 });
    send(env.host, ids(4));
    await env.mock.waitForTransactions(8, 10000);
    const s = await waitForStats(env.host, (x) => x.sent === 8, 'sent');
    assert.equal(s.dropped, 0);
    const msgs = messages(env.host);
    assert.ok(msgs.some((m) => /not sent \(status=(0, connection reset or no response|503, unavailable or connect failure)\); retrying/.test(m)), msgs.join('\n'));
    assert.equal(msgs.filter((m) => /not sent \(status=502\); retrying/.test(m)).length, 2);
  } finally {
    await env.close();
  }
});

test('a batch still failing after the give-up age is dropped and counted; later batches go through', async () => {
  const env = await startEnv({ config: { cequenceRetryGiveUpMs: 1000, cequenceRetryMaxBackoffMs: 200 } });
  try {
    await env.mock.setEdgeMode(500);
    send(env.host, ids(5));
    await waitForStats(env.host, (x) => x.gaveUp === 5, 'given up');
    assert.ok(messages(env.host).some((m) => /^\[cequence\] Root: edge callback - 5 transaction\(s\) not sent \(status=500\); gave up after \d+ s of retries, 5 transaction\(s\) dropped$/.test(m)));
    await env.mock.setEdgeMode('ok');
    const later = ids(3);
    send(env.host, later);
    await env.mock.waitForTransactions(3, 10000);
    assert.deepEqual(deliveredIds(env.mock).sort(), [...later].sort());
    const s = await waitForStats(env.host, (x) => x.sent === 3, 'sent');
    assert.deepEqual(s, { captured: 8, sent: 3, dropped: 5, queueFull: 0, gaveUp: 5, rejected: 0, queued: 0, inFlight: 0 });
  } finally {
    await env.close();
  }
});

test('Edge answering 400: the batch is logged and dropped (rejected), not retried', async () => {
  const env = await startEnv();
  try {
    await env.mock.setEdgeMode(400, { count: 1 });
    send(env.host, ids(4));
    const s = await waitForStats(env.host, (x) => x.rejected === 4, 'rejected');
    assert.equal(s.captured, 4);
    assert.equal(env.mock.edgeRequests.length, 1);
    assert.ok(messages(env.host).includes('[cequence] Root: edge callback - 4 transaction(s) rejected (status=400), dropped'));
  } finally {
    await env.close();
  }
});

for (const auth of [true, false]) {
  test(`wrong serviceNamespace (auth ${auth ? 'on' : 'off'}): one rate-limited "serviceNamespace mismatch" line naming the cluster; transactions stay queued`, async () => {
    const env = await startEnv({
      serviceNamespace: 'default',
      config: { serviceNamespace: 'prod', cequenceAuthEnabled: auth },
      mock: { authRequired: auth },
    });
    try {
      const txns = ids(5);
      send(env.host, txns);
      await sleep(2500);
      const lines = messages(env.host).filter((m) => m.includes('serviceNamespace mismatch'));
      const cluster = auth ? 'cequence-auth-service.prod.svc' : 'cequence-edge-service.prod.svc';
      assert.ok(lines.length >= 1, messages(env.host).join('\n'));
      // at most one per stats interval (1 s) although the refused calls are retried every few hundred ms
      assert.ok(lines.length <= 4, lines.join('\n'));
      for (const l of lines) {
        assert.ok(l.startsWith('[cequence] serviceNamespace mismatch: the gateway has no cluster ' + cluster));
        assert.ok(l.includes("serviceNamespace must equal the Services' metadata.namespace"));
      }
      const s = await waitForStats(env.host, () => true, 'stats');
      assert.equal(s.captured, 5);
      assert.equal(s.queued + s.inFlight, 5);
      assert.equal(env.mock.tokenRequests.length + env.mock.edgeRequests.length, 0);
      assertNoSecrets(env);
      assertHealthy(env.host);
    } finally {
      await env.close();
    }
  });
}
