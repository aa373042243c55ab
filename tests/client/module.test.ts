// End to end with the real policy module (capture + client), loaded by the local gateway from the
// shipped bundle YAML, against the mock Cequence: real requests, real transactions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEnv, send, type Env } from '../capture/e2e.ts';
import { parseStats, waitFor } from './helpers.ts';

const FAST = {
  cequenceStatsIntervalMs: 1000,
  cequenceEdgeTimeoutMs: 1000,
  cequenceRetryInitialBackoffMs: 50,
  cequenceRetryMaxBackoffMs: 400,
};

function stats(env: Env, since: number, workers: number) {
  const per = Array.from({ length: workers }, (_, w) => {
    for (let i = env.gateway.entries.length - 1; i >= since; i--) {
      const e = env.gateway.entries[i];
      if (e.source === 'wasm' && e.worker === w) {
        const s = parseStats(e.message);
        if (s) return s;
      }
    }
    return undefined;
  });
  if (per.some((s) => !s)) return undefined;
  return per.reduce((a, s) => {
    for (const k of Object.keys(a) as (keyof typeof a)[]) a[k] += s![k];
    return a;
  }, { captured: 0, sent: 0, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });
}

function assertNoSecrets(env: Env): void {
  const tokens = env.mock.issuedTokens.map((t) => t.token);
  assert.ok(tokens.length > 0);
  for (const line of env.gateway.logs) {
    assert.ok(!line.includes(env.mock.clientSecret), `secret in: ${line.slice(0, 200)}`);
    for (const t of tokens) assert.ok(!line.includes(t.slice(-24)), `token in: ${line.slice(0, 200)}`);
  }
}

test('real module: Edge down then back — every captured call arrives exactly once, one token for both workers, no secret in any log', async () => {
  const env = await startEnv({ workers: 2, debug: true, config: FAST });
  try {
    const paths: string[] = [];
    const round = async (n: number, tag: string) => {
      for (let i = 0; i < n; i++) {
        const path = `/orders/${tag}-${i}?status=${i % 3 ? 200 : 404}`;
        const r = await send(env.gateway, {
          method: 'POST', path,
          headers: [['content-type', 'application/json'], ['authorization', 'Bearer the-callers-own-token']],
          body: Buffer.from(JSON.stringify({ tag, i })),
        });
        assert.equal(r.status, i % 3 ? 200 : 404);
        paths.push(path);
      }
    };
    await round(6, 'up');
    await env.mock.waitForTransactions(6);
    await env.mock.setEdgeMode('down');
    await round(10, 'down');
    await waitFor(() => env.wasmMessages().some((m) => /not sent \(status=503, unavailable or connect failure\); retrying/.test(m)), 'a retry');
    await env.mock.setEdgeMode('ok');
    await round(4, 'back');
    await env.mock.waitForTransactions(20, 15000);
    const since = env.gateway.entries.length;
    const s = await waitFor(() => {
      const x = stats(env, since, 2);
      return x && x.queued + x.inFlight === 0 ? x : undefined;
    }, 'drained', 15000);
    assert.deepEqual(s, { captured: 20, sent: 20, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 });

    const txns = env.mock.transactions as Record<string, any>[];
    assert.equal(txns.length, 20);
    assert.equal(new Set(txns.map((t) => t['transaction-id'])).size, 20, 'a transaction arrived twice');
    const got = txns.map((t) => String(t.request['uri-query-fragment'])).sort();
    assert.deepEqual(got, [...paths].sort());
    // one token for the gateway (two workers)
    assert.equal(env.mock.tokenRequests.length, 1);
    for (const b of env.mock.batches) assert.equal(b.token, env.mock.issuedTokens[0].token);
    // the DESIGN §6 batch lines, summing to what was sent
    const sentLines = env.wasmMessages().map((m) => /^\[cequence\] Root: edge callback - (\d+) transaction\(s\) sent \(status=200\)$/.exec(m)).filter(Boolean);
    assert.equal(sentLines.reduce((a, m) => a + Number(m![1]), 0), 20);
    assertNoSecrets(env);
    for (const vm of env.gateway.vms) assert.equal(vm.failed, false, vm.failure);
  } finally {
    await env.close();
  }
});

test('real module: a wrong serviceNamespace gives the mismatch line naming the expected cluster, and traffic is untouched', async () => {
  const env = await startEnv({ workers: 1, debug: false, config: { ...FAST, serviceNamespace: 'payments' } });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await send(env.gateway, { method: 'GET', path: `/ns/${i}`, headers: [] });
      assert.equal(r.status, 200);
    }
    const line = await waitFor(() => env.wasmMessages().find((m) => m.includes('serviceNamespace mismatch')), 'mismatch line');
    assert.ok(line.includes('cequence-auth-service.payments.svc'), line);
    assert.ok(line.includes("serviceNamespace must equal the Services' metadata.namespace"), line);
    assert.equal(env.mock.tokenRequests.length + env.mock.edgeRequests.length, 0);
    const s = await waitFor(() => stats(env, 0, 1), 'stats');
    assert.equal(s.captured, 3);
    assert.equal(s.queued, 3);
  } finally {
    await env.close();
  }
});
