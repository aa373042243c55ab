// bench:memory — the module's linear memory and the process's memory after 1 000 000 transactions
// with Edge down (default bounds), and with Edge up at a sustained rate.
//
// No HTTP on the traffic side: host.runStream drives each transaction (1 KiB request and response
// bodies, 12 headers each side) through the release policy. A fake clock advances 1 ms per
// transaction (1000 transactions per simulated second on the one worker) and the root context is
// ticked every 100 simulated ms, as the tick timer would. The mock Cequence runs on loopback and sees
// the module's real dispatched calls: in the outage its Edge port is closed (connection refused →
// 503), so batches are retried with backoff and given up after cequenceRetryGiveUpMs, and the queue
// drops its oldest transactions at its bounds. With Edge up every answer is awaited at each tick.
//
//   npm run bench:memory       BENCH_MEMORY_TXNS (default 1000000), BENCH_MEMORY_UP_TXNS (default 200000),
//                              BENCH_MEMORY_BODY (bytes each side, default 1024), BENCH_MEMORY_QUEUE_BYTES (default: the
//                              schema default of cequenceQueueMaxBytes); --long: 1M with Edge up too.
import { performance } from 'node:perf_hooks';
import type { LogEntry } from '../emulator/host/index.ts';
import {
  envInt, fmt, fmtBytes, LONG, machineFacts, mdTable, noopWasm, policyWasm, policyWasmPath, displayPath, progress, report,
} from './lib/common.ts';
import { assertHealthy, clustersFor, FakeClock, linearMemory, policyConfig, settle, startMock, subjectHost, tick, typicalStream } from './lib/harness.ts';
import { createHost } from '../emulator/host/index.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/common.ts';

const DOWN_TXNS = envInt('BENCH_MEMORY_TXNS', 1_000_000);
const UP_TXNS = envInt('BENCH_MEMORY_UP_TXNS', LONG ? 1_000_000 : 200_000);
const BODY = envInt('BENCH_MEMORY_BODY', 1024);
const MS_PER_TX = 1; // 1000 tx per simulated second
const TICK_EVERY = 100; // transactions (= 100 simulated ms)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'config.schema.json'), 'utf8'));
const QUEUE_MAX_BYTES: number = envInt('BENCH_MEMORY_QUEUE_BYTES', schema.properties.cequenceQueueMaxBytes.default);
const QUEUE_IS_DEFAULT = QUEUE_MAX_BYTES === schema.properties.cequenceQueueMaxBytes.default;
const QUEUE_MAX_TXNS: number = schema.properties.cequenceQueueMaxTransactions.default;
// The module's stated bound (README "Memory under abuse"): capture budget (= the queue bound) + queue bound + 2 MiB.
const BOUND = 2 * QUEUE_MAX_BYTES + 2 * 1024 * 1024;

interface Stats {
  captured: number; sent: number; dropped: number; queueFull: number; gaveUp: number; rejected: number; queued: number; queuedBytes: number; inFlight: number;
}
function parseStats(line: string): Stats | undefined {
  const m = /captured=(\d+) sent=(\d+) dropped=(\d+) \(queue_full=(\d+) gave_up=(\d+) rejected=(\d+)\) queued=(\d+) \((\d+) bytes\) in_flight=(\d+)/.exec(line);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return { captured: n[0], sent: n[1], dropped: n[2], queueFull: n[3], gaveUp: n[4], rejected: n[5], queued: n[6], queuedBytes: n[7], inFlight: n[8] };
}

interface RunResult {
  label: string;
  txns: number;
  seconds: number;
  linearStart: number;
  linearMax: number;
  linearEnd: number;
  rssStart: number;
  rssMax: number;
  rssEnd: number;
  heapEnd: number;
  stats?: Stats;
  edgeTransactions: number;
  edgeRequests: number;
  warnLines: number;
  errorLines: number;
  samples: { tx: number; linear: number; rss: number }[];
}

async function run(label: string, txns: number, edgeUp: boolean): Promise<RunResult> {
  const clock = new FakeClock();
  const mock = await startMock(clock);
  let lastStats: string | undefined;
  let warnLines = 0;
  let errorLines = 0;
  const onLog = (e: LogEntry) => {
    if (e.message.includes('Stats: ')) lastStats = e.message;
    if (e.level === 'warn') warnLines++;
    if (e.level === 'error' || e.level === 'critical') errorLines++;
  };
  const host = await createHost(policyWasm(), {
    config: policyConfig(mock, { cequenceStatsIntervalMs: 10_000, ...(QUEUE_IS_DEFAULT ? {} : { cequenceQueueMaxBytes: QUEUE_MAX_BYTES }) }),
    clusters: clustersFor(mock),
    workers: 1,
    now: clock.nowNs,
    keepLogs: false,
    logLevel: 'info',
    onLog,
  });
  for (const vm of host.vms) vm.clearTick();
  // Token first (the outage is Edge's, the token endpoint stays up), then take Edge down.
  tick(host);
  await settle(host);
  if (!edgeUp) await mock.setEdgeMode('down');
  gc();
  const stream = typicalStream(BODY);
  const r: RunResult = {
    label, txns, seconds: 0, linearStart: linearMemory(host), linearMax: 0, linearEnd: 0,
    rssStart: process.memoryUsage().rss, rssMax: 0, rssEnd: 0, heapEnd: 0, edgeTransactions: 0, edgeRequests: 0, warnLines: 0, errorLines: 0, samples: [],
  };
  const t0 = performance.now();
  const sampleEvery = Math.max(TICK_EVERY, Math.floor(txns / 50 / TICK_EVERY) * TICK_EVERY);
  for (let i = 1; i <= txns; i++) {
    host.runStream(stream);
    clock.advance(MS_PER_TX);
    if (i % TICK_EVERY === 0) {
      tick(host);
      // Edge up: wait for the answers (Edge keeps up). Edge down: connection refusals arrive within
      // an event-loop turn or two; waiting is what lets them be delivered at all.
      await settle(host);
      r.edgeTransactions += mock.counts.transactions;
      r.edgeRequests += mock.counts.edgeRequests;
      mock.reset(); // the mock keeps every batch: forget them so the bench process does not grow
      const lin = linearMemory(host);
      if (lin > r.linearMax) r.linearMax = lin;
      if (i % sampleEvery === 0) {
        const rss = process.memoryUsage().rss;
        if (rss > r.rssMax) r.rssMax = rss;
        r.samples.push({ tx: i, linear: lin, rss });
        if (i % (sampleEvery * 10) === 0) progress(`memory ${label}: ${i.toLocaleString('en-US')} tx, linear ${fmtBytes(lin)}, rss ${fmtBytes(rss)}`);
      }
    }
  }
  r.seconds = (performance.now() - t0) / 1000;
  // One more stats interval so the last line covers everything.
  clock.advance(10_000);
  tick(host);
  await settle(host);
  r.edgeTransactions += mock.counts.transactions;
  r.edgeRequests += mock.counts.edgeRequests;
  assertHealthy(host, label);
  r.linearEnd = linearMemory(host);
  r.linearMax = Math.max(r.linearMax, r.linearEnd);
  gc();
  const mu = process.memoryUsage();
  r.rssEnd = mu.rss;
  r.rssMax = Math.max(r.rssMax, mu.rss);
  r.heapEnd = mu.heapUsed;
  r.stats = lastStats ? parseStats(lastStats) : undefined;
  r.warnLines = warnLines;
  r.errorLines = errorLines;
  host.close();
  await mock.close();
  return r;
}

async function main(): Promise<void> {
  const noop = await subjectHost(noopWasm(), { clock: new FakeClock() });
  const noopLinear = linearMemory(noop);
  noop.close();

  progress(`memory: ${DOWN_TXNS.toLocaleString('en-US')} transactions with Edge down`);
  const down = await run('Edge down', DOWN_TXNS, false);
  progress(`memory: ${UP_TXNS.toLocaleString('en-US')} transactions with Edge up`);
  const up = await run('Edge up', UP_TXNS, true);

  const row = (r: RunResult) => [
    r.label, r.txns.toLocaleString('en-US'), fmtBytes(r.linearStart), fmtBytes(r.linearMax), fmtBytes(r.linearEnd),
    r.linearMax <= BOUND ? `yes (${fmt(r.linearMax / BOUND)} of bound)` : `**no** (${fmt(r.linearMax / BOUND)}× bound)`,
    fmtBytes(r.rssStart), fmtBytes(r.rssEnd), fmtBytes(r.heapEnd), fmt(r.seconds, 0),
  ];
  const statRow = (r: RunResult) => {
    const s = r.stats;
    if (!s) return [r.label, 'no stats line', '', '', '', '', '', ''];
    const balance = s.captured === s.sent + s.dropped + s.queued + s.inFlight;
    return [r.label, s.captured, s.sent, `${s.dropped} (queue_full ${s.queueFull}, gave_up ${s.gaveUp}, rejected ${s.rejected})`,
      `${s.queued} (${fmtBytes(s.queuedBytes)})`, s.inFlight, r.edgeTransactions, balance ? 'yes' : '**no**'];
  };
  const md = `## bench:memory — linear memory under a long outage and at sustained load

Command: \`npm run bench:memory\`${LONG ? ' (long)' : ''} · ${machineFacts()}
Policy module: \`${displayPath(policyWasmPath())}\`, one worker VM, ${QUEUE_IS_DEFAULT ? 'default bounds' : '**cequenceQueueMaxBytes set by BENCH_MEMORY_QUEUE_BYTES**'} (queue ${QUEUE_MAX_TXNS} transactions / ${fmtBytes(QUEUE_MAX_BYTES)}), ${fmtBytes(BODY)} request and response bodies, 12 headers each side.
\`host.runStream\` drives the transactions (no HTTP); a fake clock advances 1 ms per transaction (1000 tx/s) and the root context is ticked every 100 simulated ms. The mock Cequence answers the module's real calls on loopback: "Edge down" closes its Edge port after the token was obtained (connection refused → 503, retried with backoff, given up after the default give-up age), "Edge up" answers every batch before the next tick.
Bound checked: capture budget + queue bound + 2 MiB = ${fmtBytes(BOUND)} (the capture budget is the queue bound; the capture region is taken at the first stream and the queue's at the first transaction, so memory is flat from then on). The no-op filter's linear memory for reference: ${fmtBytes(noopLinear)}.

${mdTable(['run', 'transactions', 'linear memory at start', 'max', 'end', 'within bound', 'process RSS at start', 'RSS at end', 'JS heap at end', 'wall s'], [row(down), row(up)])}

The module's own counters at the end (its Stats line) and what the mock Edge received:

${mdTable(['run', 'captured', 'sent', 'dropped', 'queued', 'in flight', 'Edge received', 'captured = sent + dropped + queued + in flight'], [statRow(down), statRow(up)])}

Process RSS is the Node process running the emulator's host and the mock Cequence (not Envoy): its growth over the run is what matters, and it is shown next to the start value. Warning/error lines logged: Edge down ${down.warnLines}/${down.errorLines}, Edge up ${up.warnLines}/${up.errorLines} (drop warnings are rate-limited per interval).
`;
  report('memory', md, { bound: BOUND, noopLinear, down, up });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
