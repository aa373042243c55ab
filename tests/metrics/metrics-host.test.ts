// Emulator only (the proxy-wasm host API): what the metrics do when the host refuses them, and at a
// root context's shutdown. A host that refuses a definition or an update must never make the module
// trap or stop delivering; the module says so once and the Stats line still counts everything. At
// shutdown, what is still queued or in flight is counted as dropped (reason shutdown) and the worker's
// share of the gauges goes back to zero, so the gateway-wide gauges stay right across a restart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createHost, type HostOptions, type ProxyWasmHost } from '../../emulator/host/index.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';
import { fastSettings } from '../../harness/index.ts';
import { waitFor } from '../../harness/checks.ts';
import { parsePrometheus, policyMetrics } from './metrics.ts';

const wasm = readFileSync(new URL('../../policies-k8s/cequence_policy.wasm', import.meta.url));

async function start(mock: MockCequence, opts: Partial<HostOptions> = {}, extra: Record<string, unknown> = {}): Promise<ProxyWasmHost> {
  return createHost(wasm, {
    workers: 2,
    config: {
      cequenceAuthUrl: mock.authUrl, cequenceEdgeUrl: mock.edgeUrl, cequenceAuthPath: mock.authPath, cequenceEdgePath: mock.edgePath,
      cequenceClientId: mock.clientId, cequenceClientSecret: mock.clientSecret, ...fastSettings(), ...extra,
    },
    clusters: { 'cequence-auth-service.default.svc': mock.authUrl, 'cequence-edge-service.default.svc': mock.edgeUrl },
    ...opts,
  });
}

function traffic(host: ProxyWasmHost, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = host.runStream({
      request: { headers: { ':method': 'POST', ':path': `/api/m-${i}`, ':authority': 'api.local', ':scheme': 'http', 'content-type': 'application/json' }, body: ['{"a":1}'] },
      response: { headers: { ':status': '200', 'content-type': 'application/json' }, body: ['{"ok":true}'] },
    });
    assert.equal(r.downstream.body.toString(), '{"ok":true}', 'the call passes untouched');
  }
}

const cequence = (host: ProxyWasmHost) => host.logs.filter((l) => l.message.startsWith('[cequence]'));
const value = (host: ProxyWasmHost, name: string) => host.metricValues()[name];

test('the host refuses some definitions and one update: no trap, delivery goes on, one line each per worker', async () => {
  const mock = await startMockCequence({});
  const refusedDefs = (n: string) => n.includes('_dropped_') || n === 'cequence_edge_round_trip_ms';
  const host = await start(mock, { refuseMetrics: { define: refusedDefs, update: (n) => n === 'cequence_queue_bytes' } });
  try {
    traffic(host, 20);
    await mock.waitForTransactions(20, 20000);
    await waitFor(() => value(host, 'cequence_transactions_sent_total') === 20n, 'sent_total 20');
    for (const vm of host.vms) assert.equal(vm.failed, false, 'no VM trapped');
    const defined = new Set(host.metricEntries().map((e) => e.name));
    for (const m of policyMetrics()) assert.equal(defined.has(m.name), !refusedDefs(m.name), m.name);
    assert.equal(value(host, 'cequence_transactions_captured_total'), 20n);
    assert.equal(value(host, 'cequence_queue_bytes'), 0n, 'the refused update never reached the host');
    const defLines = cequence(host).filter((l) => /^\[cequence\] Metrics: the gateway refused 7 of 24 metric definition\(s\) \(first cequence_transactions_dropped_total, result=2\); those are not reported, the Stats line still counts everything$/.test(l.message));
    assert.equal(defLines.length, 2, 'one line per worker');
    assert.ok(defLines.every((l) => l.level === 'warn'));
    const updLines = cequence(host).filter((l) => l.message === '[cequence] Metrics: the gateway refused an update of cequence_queue_bytes; that metric is no longer updated (the Stats line still counts it)');
    assert.ok(updLines.length >= 1 && updLines.length <= 2, `at most one line per worker: ${updLines.length}`);
  } finally {
    host.close();
    await mock.close();
  }
});

test('a host that refuses every metric: the policy delivers as before', async () => {
  const mock = await startMockCequence({});
  const host = await start(mock, { refuseMetrics: { define: () => true } });
  try {
    traffic(host, 10);
    await mock.waitForTransactions(10, 20000);
    assert.deepEqual(host.metricEntries(), []);
    for (const vm of host.vms) assert.equal(vm.failed, false);
    assert.equal(cequence(host).filter((l) => l.message.includes('refused 24 of 24 metric definition(s)')).length, 2);
  } finally {
    host.close();
    await mock.close();
  }
});

test('shutdown with Edge down: what is queued or in flight becomes dropped_shutdown, the gauges go back to 0', async () => {
  const mock = await startMockCequence({});
  await mock.setEdgeMode('down');
  const host = await start(mock, {}, { cequenceBatchMaxTransactions: 3 });
  try {
    traffic(host, 12);
    await waitFor(() => value(host, 'cequence_in_flight_transactions')! > 0n && value(host, 'cequence_edge_responses_5xx_total')! > 0n, 'batches failing');
    const m = parsePrometheus(host.prometheusText()).values;
    assert.equal(m.get('cequence_queue_transactions')! + m.get('cequence_in_flight_transactions')!, 12, 'queued + in flight, summed over both workers');
    assert.equal(m.get('cequence_transactions_dropped_total'), 0);
  } finally {
    host.close();
    await mock.close();
  }
  const after = host.metricValues();
  assert.equal(after.cequence_transactions_dropped_shutdown_total, 12n);
  assert.equal(after.cequence_transactions_dropped_total, 12n);
  assert.deepEqual([after.cequence_queue_transactions, after.cequence_queue_bytes, after.cequence_in_flight_transactions, after.cequence_in_flight_batches], [0n, 0n, 0n, 0n]);
  assert.equal(after.cequence_transactions_captured_total, after.cequence_transactions_sent_total! + after.cequence_transactions_dropped_total!);
});

test('a reconfiguration that lowers the queue bound counts its drops as dropped_shutdown (the Stats line: queue_full)', async () => {
  const mock = await startMockCequence({});
  await mock.setEdgeMode('down');
  // A long flush interval and large batches: everything stays queued (nothing in flight).
  const host = await start(mock, { workers: 1 }, { cequenceFlushIntervalMs: 60000, cequenceBatchMaxTransactions: 100 });
  try {
    traffic(host, 10);
    await waitFor(() => value(host, 'cequence_queue_transactions') === 10n, '10 queued');
    const vm = host.vms[0];
    const smaller = JSON.stringify({ ...JSON.parse(host.config.toString()), cequenceQueueMaxTransactions: 4 });
    // A second proxy_on_configure on the same root context (what Envoy does on a configuration change).
    vm.configuring = Buffer.from(smaller);
    vm.call('proxy_on_configure', vm.rootContextId, vm.rootContextId, vm.configuring.length);
    vm.configuring = null;
    vm.flushAfterCall();
    await waitFor(() => value(host, 'cequence_queue_transactions') === 4n, '4 queued');
    assert.equal(value(host, 'cequence_transactions_dropped_shutdown_total'), 6n);
    assert.equal(value(host, 'cequence_transactions_dropped_queue_full_count_total'), 0n);
    assert.equal(value(host, 'cequence_transactions_dropped_total'), 6n);
  } finally {
    host.close();
    await mock.close();
  }
});
