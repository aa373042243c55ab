// bench:delivery — how efficiently the policy delivers: Edge requests and bytes per 1000 transactions
// and transactions per Edge request at sustained load, and token requests per hour.
//
// host.runStream drives typical transactions (1 KiB bodies each side, 12 headers) through the release
// policy in 2 worker VMs (round-robin, as connections spread over Envoy workers). A fake clock shared by
// the host and the mock Cequence advances with the simulated load; root contexts are ticked every
// 100 simulated ms, and the module's dispatched calls are real HTTP calls to the mock on loopback whose
// answers are awaited before the next tick (Edge answers "instantly" in simulated time).
// Token requests per hour are counted over several simulated hours with the mock's default token
// lifetime (3600 s) — measured on the fake clock, not extrapolated.
//
//   npm run bench:delivery     BENCH_DELIVERY_SECONDS (simulated seconds per load level, default 30; --long 120)
import { performance } from 'node:perf_hooks';
import type { ProxyWasmHost } from '../emulator/host/index.ts';
import type { MockCequence } from '../emulator/mock-cequence.ts';
import { envInt, fmt, fmtBytes, LONG, machineFacts, mdTable, policyWasm, policyWasmPath, displayPath, progress, report } from './lib/common.ts';
import { assertHealthy, clustersFor, FakeClock, policyConfig, settle, startMock, subjectHost, tick, typicalStream } from './lib/harness.ts';

const SECONDS = envInt('BENCH_DELIVERY_SECONDS', LONG ? 120 : 30);
const RATES = [10, 100, 1000, 3000]; // transactions per simulated second, whole gateway
const WORKERS = 2;
const TOKEN_HOURS = envInt('BENCH_TOKEN_HOURS', LONG ? 12 : 4);
const TICK_MS = 100;

interface Counted {
  txns: number;
  edgeRequests: number;
  edgeAccepted: number;
  edgeBytes: number;
  edgeTransactions: number;
  tokenRequests: number;
}

/** Run `rate` tx/s for `seconds` simulated seconds; the mock's records are summed and forgotten at each tick. */
async function drive(host: ProxyWasmHost, mock: MockCequence, clock: FakeClock, rate: number, seconds: number, body: number): Promise<Counted> {
  const stream = typicalStream(body);
  const c: Counted = { txns: 0, edgeRequests: 0, edgeAccepted: 0, edgeBytes: 0, edgeTransactions: 0, tokenRequests: 0 };
  const collect = () => {
    for (const r of mock.edgeRequests) {
      c.edgeRequests++;
      c.edgeBytes += r.bodyLength;
      if (r.outcome === 'accepted') c.edgeAccepted++;
    }
    c.edgeTransactions += mock.counts.transactions;
    c.tokenRequests += mock.counts.tokenRequests;
    mock.reset();
  };
  const perTick = (rate * TICK_MS) / 1000;
  let owed = 0;
  for (let t = 0; t < (seconds * 1000) / TICK_MS; t++) {
    owed += perTick;
    const n = Math.floor(owed);
    owed -= n;
    for (let i = 0; i < n; i++) {
      host.runStream(stream);
      clock.advance(TICK_MS / Math.max(1, n));
    }
    if (n === 0) clock.advance(TICK_MS);
    c.txns += n;
    tick(host);
    if (host.pendingHttpCalls > 0) await settle(host);
    if (mock.edgeRequests.length || mock.tokenRequests.length) collect();
  }
  collect();
  return c;
}

async function main(): Promise<void> {
  const rows: (string | number)[][] = [];
  const data: Record<string, unknown> = {};
  for (const rate of RATES) {
    const clock = new FakeClock();
    const mock = await startMock(clock);
    const host = await subjectHost(policyWasm(), { clock, config: policyConfig(mock), clusters: clustersFor(mock), workers: WORKERS });
    // Warm-up: the token and the first flush, not counted.
    await drive(host, mock, clock, rate, 2, 1024);
    await drive(host, mock, clock, 0, 3, 1024); // and flushed
    const t0 = performance.now();
    const c = await drive(host, mock, clock, rate, SECONDS, 1024);
    // Let the last flush go out (not counted as load, but its transactions are the run's).
    const tail = await drive(host, mock, clock, 0, 3, 1024);
    const wall = (performance.now() - t0) / 1000;
    assertHealthy(host, `rate ${rate}`);
    const reqs = c.edgeRequests + tail.edgeRequests;
    const bytes = c.edgeBytes + tail.edgeBytes;
    const delivered = c.edgeTransactions + tail.edgeTransactions;
    rows.push([
      `${rate.toLocaleString('en-US')} tx/s`, c.txns.toLocaleString('en-US'), delivered.toLocaleString('en-US'), reqs,
      fmt((reqs * 1000) / c.txns), fmtBytes((bytes * 1000) / c.txns), fmt(delivered / reqs, 1), fmtBytes(bytes / reqs), fmt(wall, 0),
    ]);
    data[rate] = { ...c, tail, wall };
    progress(`delivery: ${rate} tx/s done (${fmt(delivered / reqs, 1)} tx per Edge request)`);
    host.close();
    await mock.close();
  }

  // Token requests per hour: 2 workers sharing the token, light steady traffic, default lifetime.
  const clock = new FakeClock();
  const mock = await startMock(clock);
  const lifetime = 3600;
  const host = await subjectHost(policyWasm(), { clock, config: policyConfig(mock), clusters: clustersFor(mock), workers: WORKERS });
  const t0 = performance.now();
  const tok = await drive(host, mock, clock, 1, TOKEN_HOURS * 3600, 0);
  assertHealthy(host, 'token run');
  const tokenWall = (performance.now() - t0) / 1000;
  host.close();
  await mock.close();
  const perHour = tok.tokenRequests / TOKEN_HOURS;
  const steadyPerHour = (tok.tokenRequests - 1) / TOKEN_HOURS; // the first fetch is start-up
  progress(`delivery: ${tok.tokenRequests} token requests in ${TOKEN_HOURS} simulated hours`);

  const at1000 = data[1000] as Counted & { tail: Counted };
  const txPerReq1000 = (at1000.edgeTransactions + at1000.tail.edgeTransactions) / (at1000.edgeRequests + at1000.tail.edgeRequests);
  const md = `## bench:delivery — Edge requests, bytes and tokens

Command: \`npm run bench:delivery\`${LONG ? ' (long)' : ''} · ${machineFacts()}
Policy module: \`${displayPath(policyWasmPath())}\`, ${WORKERS} worker VMs (round-robin), default batching (200 transactions / 1 MiB / 1000 ms flush), 1 KiB request and response bodies, 12 headers each side.
Each load level runs ${SECONDS} simulated seconds on a fake clock shared by the host and the mock Cequence; root contexts ticked every ${TICK_MS} simulated ms; Edge answers every batch before the next tick. Bytes are Edge request bodies (JSON batches), headers not counted.

${mdTable(['load (gateway)', 'transactions', 'received by Edge', 'Edge requests', 'Edge requests / 1000 tx', 'Edge bytes / 1000 tx', 'tx per Edge request', 'bytes per Edge request', 'wall s'], rows)}

- At 1000 tx/s: **${fmt(txPerReq1000, 1)} transactions per Edge request** (target ≥ 100).
- Token requests: **${tok.tokenRequests} in ${TOKEN_HOURS} simulated hours = ${fmt(perHour)} per hour; after the start-up fetch ${fmt(steadyPerHour)} per hour** for the whole gateway (${WORKERS} workers, token shared through proxy-wasm shared data), token lifetime ${lifetime} s, counted on the fake clock (${tok.txns.toLocaleString('en-US')} transactions at 1 tx/s, ${fmt(tokenWall, 0)} s wall). Below the 1000 ms flush interval's batch size a light load sends ~one request per flush per worker: transactions per request scale with the load until the 200-transaction batch limit.
`;
  report('delivery', md, { seconds: SECONDS, workers: WORKERS, rates: data, token: { hours: TOKEN_HOURS, requests: tok.tokenRequests, perHour, steadyPerHour, lifetime } });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
