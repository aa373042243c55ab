// The policy's proxy-wasm metrics end to end, on every host: real HTTP through a two-worker gateway
// loaded from the shipped bundle, the mock Cequence's Edge up, then down, then back. The metrics are
// read as an operator reads them (Envoy: admin /stats/prometheus and /stats; emulator: the same text
// from its host API) and held against the mock Edge's own count, the module's Stats lines (summed over
// the workers) and its log lines. Values are the sum over the gateway's workers: Envoy keeps one stat
// per name for the process, and the gauges are built from each worker's deltas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachHost, startSubject, type Subject } from '../../harness/index.ts';
import { waitForStats, type Stats } from '../../harness/checks.ts';
import { callAll, callOnEveryWorker, ids } from '../client/e2e.ts';
import { envoyStats, metricsAsStats, policyMetrics, readout, scrape, waitForMetrics, type Readout } from './metrics.ts';

const RETRYING = /^\[cequence\] Root: edge callback - \d+ transaction\(s\) not sent \(status=503, unavailable or connect failure\); retrying in \d+ ms$/;

const CONFIG = {
  cequenceQueueMaxTransactions: 8,
  cequenceBatchMaxTransactions: 4,
  cequenceExcludePaths: ['/health'],
  cequenceSkipBodyContentTypes: ['image/png'],
};


/** Waits until the metrics and the latest Stats lines (every busy worker, written after now) agree. */
async function metricsMatchStats(s: Subject, ok: (x: Stats) => boolean, what: string): Promise<Readout> {
  for (let attempt = 0; ; attempt++) {
    const st = await waitForStats(s, ok, what);
    const r = readout(await scrape(s));
    if (JSON.stringify(metricsAsStats(r)) === JSON.stringify(st)) return r;
    // A Stats line and a metrics push are a tick apart: a change between them means another round.
    if (attempt >= 10) assert.deepEqual(metricsAsStats(r), st, `[${s.host}] metrics vs the Stats lines (${what})`);
  }
}

forEachHost('metrics end to end', (host) => {
  test('Edge up, down, back: the counters match the mock Edge, the Stats lines and the log; gauges sum the workers', async () => {
    const s = await startSubject({ host, workers: 2, config: CONFIG });
    try {
      // Every metric is defined, with its kind, before any traffic.
      const first = await scrape(s);
      for (const m of policyMetrics()) assert.equal(first.types.get(m.name), m.kind, `[${host}] # TYPE ${m.name} ${m.kind}`);

      // Edge up.
      const up = await callOnEveryWorker(s, 2, 6, 'up');
      await s.mock.waitForTransactions(up.length, 20000);
      let r = await waitForMetrics(s, (x) => x.sent === up.length && x.queued + x.inFlight === 0, 'every call sent');
      assert.equal(r.sent, s.mock.transactions.length, 'sent_total = what the mock Edge received');
      assert.equal(r.captured, up.length);
      assert.equal(r.dropped, 0);
      assert.equal(r.edge2xx, s.mock.counts.batches, 'one 2xx per batch Edge accepted');
      assert.equal(r.tokenRequests, s.mock.tokenRequests.length);
      assert.equal(r.tokenFailures, 0);

      // The capture controls: excluded requests and a skipped body are counted, never captured.
      for (let i = 0; i < 3; i++) assert.equal((await s.send({ method: 'GET', path: '/health' })).status, 200);
      assert.equal((await s.send({ method: 'POST', path: '/api/png', headers: [['content-type', 'image/png']], body: 'PNG' })).status, 200);
      await s.mock.waitForTransactions(up.length + 1, 20000);
      r = await waitForMetrics(s, (x) => x.excluded === 3 && x.bodiesSkipped === 1 && x.sent === up.length + 1, 'the controls counted');
      const before = up.length + 1;

      // Edge down: batches fail with 503 and are retried; over the queue bound the oldest are dropped.
      await s.mock.setEdgeMode('down');
      const mark = s.mark();
      const down = ids(40, 'down');
      await callAll(s, down);
      await s.waitForMessage(RETRYING, 20000, mark);
      const during = await metricsMatchStats(s, (x) => x.captured === before + down.length, 'every call captured, Edge down');
      assert.equal(during.sent, before, 'nothing sent while Edge is down');
      assert.ok(during.queueFullCount > 0, `[${host}] the count bound dropped: ${JSON.stringify(during)}`);
      assert.equal(during.dropped, during.queueFullCount + during.queueFullBytes);
      // What is still held is queued or in flight; which of the two depends on whether a tick formed
      // batches during the burst of calls (a fast machine answers all 40 between two ticks).
      assert.ok(during.queued + during.inFlight > 0, `[${host}] held while Edge is down: ${JSON.stringify(during)}`);
      assert.ok(during.inFlightBatches >= 1 && during.inFlightBatches <= 4, `[${host}] at most 2 batches per worker: ${JSON.stringify(during)}`);
      assert.equal(during.queuedBytes > 0, during.queued > 0, `[${host}] queue bytes with queued transactions: ${JSON.stringify(during)}`);
      assert.ok(during.edge5xx > 0);

      // Edge back: everything left is delivered, the gauges go back to zero.
      await s.mock.setEdgeMode('ok');
      const done = await metricsMatchStats(s, (x) => x.captured === before + down.length && x.queued + x.inFlight === 0, 'drained');
      assert.equal(done.sent, s.mock.transactions.length, 'sent_total = what the mock Edge received');
      assert.equal(new Set(s.mock.transactions.map((t: any) => t['transaction-id'])).size, s.mock.transactions.length, 'each transaction once');
      assert.equal(done.captured, done.sent + done.dropped + done.queued + done.inFlight, 'captured = sent + dropped + queued + in flight');
      assert.equal(done.dropped, during.dropped, 'no drop after Edge came back');
      assert.deepEqual([done.queued, done.queuedBytes, done.inFlight, done.inFlightBatches], [0, 0, 0, 0]);
      assert.equal(done.edge2xx, s.mock.counts.batches, 'one 2xx per batch Edge accepted');
      const retryLines = s.messages().filter((m) => RETRYING.test(m)).length;
      assert.equal(done.edge5xx, retryLines, 'one 5xx per "not sent (status=503 …); retrying" line');
      assert.deepEqual([done.edge401, done.edge4xx, done.edgeTimeouts, done.edgeResets, done.edgeOther, done.gaveUp, done.rejected, done.shutdown],
        [0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(done.tokenRequests, s.mock.tokenRequests.length);
      assert.deepEqual([done.excluded, done.bodiesSkipped], [3, 1]);

      // The round-trip histogram holds one sample per Edge answer (Envoy shows it after its stats flush).
      const answers = done.edge2xx + done.edge5xx;
      const h = await waitForMetrics(s, (x) => x.rttCount === answers, `${answers} round-trip samples`);
      assert.ok(h.rttSum >= 0);

      if (host === 'envoy') {
        // /stats names them wasmcustom.<name>, with the same values.
        const st = await envoyStats(s);
        assert.equal(st.get('wasmcustom.cequence_transactions_sent_total'), String(done.sent));
        assert.equal(st.get('wasmcustom.cequence_transactions_captured_total'), String(done.captured));
        assert.equal(st.get('wasmcustom.cequence_queue_transactions'), '0');
        assert.ok(st.has('wasmcustom.cequence_edge_round_trip_ms'));
        for (const m of policyMetrics()) assert.ok(st.has(`wasmcustom.${m.name}`), `/stats has wasmcustom.${m.name}`);
      }
    } finally {
      await s.close();
    }
  });
});
