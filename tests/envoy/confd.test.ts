// A conf.d change under traffic on real Envoy: the binding's file is rewritten and renamed into place
// while clients keep sending. Envoy builds new root contexts with the new configuration in the running
// VMs, drains the old listener configuration (--drain-time-s 2) and then calls on_done on the old
// roots. Checked: no client request fails, the new configuration takes effect (its start-up lines, the
// debug lines, the new batch size), and nothing is lost silently: with Edge down across the change,
// what the old root could not send is counted in its shutdown line, and every request is either at
// the mock Edge or counted there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editBindingConfig, type Subject } from '../../harness/index.ts';
import { cequenceLines, envoySubject, waitUntil, wasmFailures } from './lib.ts';

interface Counters {
  captured: number;
  sent: number;
  dropped: number;
  queued: number;
  inFlight: number;
}

/** The counters of a `Stats: …` line (also the tail of a `Shutting down: …` line). */
function statsOf(line: string): Counters {
  const m = /Stats: captured=(\d+) sent=(\d+) dropped=(\d+) .* queued=(\d+) \(\d+ bytes\) in_flight=(\d+) /.exec(line);
  if (!m) throw new Error(`not a Stats line: ${line}`);
  return { captured: +m[1], sent: +m[2], dropped: +m[3], queued: +m[4], inFlight: +m[5] };
}
const unsent = (c: Counters) => c.dropped + c.queued + c.inFlight;
const sum = (cs: Counters[], f: (c: Counters) => number) => cs.reduce((a, c) => a + f(c), 0);

/** Two clients sending GET /loop/<i>, each request on a new connection, until stopped. */
function trafficLoop(s: Subject) {
  let stop = false;
  let n = 0;
  const results: { path: string; status: number; error?: string }[] = [];
  const loops = [0, 1].map(async () => {
    while (!stop) {
      const p = `/loop/${n++}`;
      await new Promise((r) => setTimeout(r, 5)); // a steady stream, not a benchmark
      try {
        results.push({ path: p, status: (await s.send({ method: 'GET', path: p })).status });
      } catch (e) {
        results.push({ path: p, status: 0, error: (e as Error).message });
      }
    }
  });
  return {
    results,
    /** Resolves once `k` more requests have completed. */
    async more(k: number): Promise<void> {
      const target = results.length + k;
      await waitUntil(`${k} more requests`, () => results.length >= target, 20000);
    },
    async stop(): Promise<void> {
      stop = true;
      await Promise.all(loops);
    },
  };
}

const subjectOf = envoySubject({ config: { enableDebugLogs: false, cequenceBatchMaxTransactions: 50 } });

test('envoy: a conf.d change under traffic takes effect, fails no request and loses nothing silently', async (t) => {
  const s = await subjectOf();
  const gw = s.envoy!;
  await s.waitForMessage(/^\[cequence\] Policy configured \(debug_logs=false\)$/);
  const loop = trafficLoop(s);
  let markChange = 0;
  let markClose = 0;
  try {
    await loop.more(15);
    await s.mock.waitForTransactions(1, 15000);
    // Edge goes down: from here the old root can only queue and retry.
    await s.mock.setEdgeMode('down');
    await loop.more(10);

    markChange = s.mark();
    editBindingConfig(s.dir, { enableDebugLogs: true, cequenceBatchMaxTransactions: 3 });
    await gw.waitForLog(/\[flex-gateway\] .*configuration \d+ applied/, 15000, markChange);
    await s.waitForMessage(/^\[cequence\] Policy configured \(debug_logs=true\)$/, 5000, markChange);
    await s.waitForMessage(/^\[cequence\] Configuration: .* batch=3\//, 5000, markChange);
    // New connections meet the new configuration: its per-request lines appear.
    await waitUntil('debug lines of the new configuration', () =>
      cequenceLines(s, markChange).filter((l) => l.startsWith('[cequence] Captured GET /loop/')).length >= 10);
    // The old configuration's listener drains (2 s), then its root contexts get on_done: the worker's,
    // which holds what Edge could not take, says how many it leaves unsent.
    await s.waitForMessage(/^\[cequence\] Shutting down: \d+ transaction\(s\) queued or in flight are not sent; /, 15000, markChange);
    await loop.more(5);
    const recovered = s.mock.batches.length;
    await s.mock.setEdgeMode('ok');
    await loop.more(10);
    await loop.stop();

    const n = loop.results.length;
    const failed = loop.results.filter((r) => r.status !== 200);
    assert.deepEqual(failed, [], 'no client request failed during the change');
    const oldShutdowns = cequenceLines(s, markChange).filter((l) => l.startsWith('[cequence] Shutting down: ')).map(statsOf);
    const lostOld = sum(oldShutdowns, unsent);
    // Everything the new roots captured reaches the mock Edge once it is back.
    await waitUntil(`${n - lostOld} distinct transactions at the mock Edge`, () => distinctPaths(s).size >= n - lostOld, 20000);
    // Batches posted after the recovery come from the new root only (the old one is gone): at most 3.
    const after = s.mock.batches.slice(recovered);
    assert.ok(after.length >= 1);
    for (const b of after) assert.ok(b.transactions.length <= 3, `batch ${b.seq} has ${b.transactions.length} transactions (new batch size 3)`);
    assert.ok(!cequenceLines(s, 0, markChange).some((l) => l.startsWith('[cequence] Captured')), 'no debug line before the change');
  } finally {
    await loop.stop();
    markClose = s.mark();
    // Closing Envoy makes the new roots log their shutdown lines too (SIGTERM: on_done).
    await gw.close();
  }

  const n = loop.results.length;
  const oldLines = cequenceLines(s, markChange, markClose).filter((l) => l.startsWith('[cequence] Shutting down: '));
  const oldRoots = oldLines.map(statsOf);
  const newRoots = cequenceLines(s, markClose).filter((l) => l.startsWith('[cequence] Shutting down: ')).map(statsOf);
  const received = distinctPaths(s);
  const lostOld = sum(oldRoots, unsent);
  t.diagnostic(`requests sent: ${n}; at the mock Edge: ${received.size} distinct (${s.mock.transactions.length} posted)`);
  t.diagnostic(`old roots at on_done: ${oldRoots.map((c) => JSON.stringify(c)).join(' ')}`);
  t.diagnostic(`new roots at exit: ${newRoots.map((c) => JSON.stringify(c)).join(' ')}`);
  for (const l of oldLines) t.diagnostic(l);

  // Each request was captured by exactly one root context, old or new.
  assert.equal(sum([...oldRoots, ...newRoots], (c) => c.captured), n, 'captured over every root = requests sent');
  for (const c of [...oldRoots, ...newRoots]) assert.equal(c.captured, c.sent + unsent(c), `identity holds: ${JSON.stringify(c)}`);
  // Edge was down across the change: the old worker root held transactions it could not send, and said so.
  assert.ok(lostOld > 0, 'the old root had transactions left at on_done');
  for (const [i, c] of oldRoots.entries()) {
    const k = c.queued + c.inFlight;
    if (k > 0) assert.ok(oldLines[i].startsWith(`[cequence] Shutting down: ${k} transaction(s) queued or in flight are not sent; `), oldLines[i]);
  }
  // Nothing silently lost: every request is at the mock Edge or counted unsent by an old root.
  const missing = loop.results.filter((r) => !received.has(r.path)).length;
  assert.ok(missing <= lostOld, `${missing} requests are neither at the Edge nor counted (old roots counted ${lostOld})`);
  assert.ok(sum([...oldRoots, ...newRoots], (c) => c.sent) <= received.size, 'every transaction counted as sent is at the mock Edge');
  for (const c of newRoots) assert.equal(unsent(c), 0, 'the new roots delivered everything');
  assert.deepEqual(wasmFailures(s), []);
});

function distinctPaths(s: Subject): Set<string> {
  return new Set((s.mock.transactions as any[]).map((t) => t.request['uri-query-fragment']));
}
