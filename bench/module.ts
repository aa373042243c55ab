// bench:module — in-module cost per transaction, through the emulator host with no HTTP.
//
// One transaction = context create → request headers (12) → request body chunks → response headers
// (12) → response body chunks → on_log → on_done → on_delete (host.runStream), bodies of 0 B, 1 KiB,
// 32 KiB and 1 MiB on each side, in 16 KiB chunks. Subjects, interleaved in every repetition:
//   empty  — a hand-written module whose callbacks return at once: the emulator host's own cost
//   reads  — a hand-written module that makes the policy's host reads and nothing else (READS_WAT in
//            bench/lib/common.ts): what getting the captured data out of the host costs by itself
//   noop   — bench/noop, the no-op AssemblyScript filter built exactly like the policy
//   policy — the release policy module, configured against the mock Cequence on loopback
// The policy captures every transaction (status 200) and queues it. Between timed repetitions (not
// timed) the fake clock advances and the root context is ticked until the mock Edge has received
// every transaction: the timed section measures capture + serialisation + enqueue, never a send,
// and the queue never overflows (no drop is ever timed; the run checks that Edge got them all).
//
//   npm run bench:module            (~1 min)   BENCH_LONG=1 / --long for more repetitions;
//   BENCH_CANDIDATE_WASM=<other build> adds it as a fourth subject (what an optimisation buys);
//   BENCH_CANDIDATE_CONFIG=controls (or a JSON object) makes the fourth subject the same (or the
//   candidate) build with those fields merged into its configuration (what a setting costs)
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ProxyWasmHost } from '../emulator/host/index.ts';
import type { MockCequence } from '../emulator/mock-cequence.ts';
import {
  emptyWasm, readsWasm, envInt, fmt, LONG, machineFacts, mdTable, median, noopWasm, pairedRatio, policyWasm, policyWasmPath, displayPath, progress, ratio, report,
} from './lib/common.ts';
import { assertHealthy, clustersFor, FakeClock, policyConfig, settle, startMock, subjectHost, tick, typicalStream } from './lib/harness.ts';

const SIZES = [0, 1024, 32 * 1024, 1024 * 1024];
const SIZE_LABEL: Record<number, string> = { 0: '0 B', 1024: '1 KiB', 32768: '32 KiB', 1048576: '1 MiB' };
const REPS = envInt('BENCH_REPS', LONG ? 31 : 15);
const TARGET_MS = envInt('BENCH_REP_MS', LONG ? 120 : 60);
const WARM_MS = LONG ? 1000 : 300;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

type Name = 'empty' | 'reads' | 'noop' | 'policy' | 'candidate';
// BENCH_CANDIDATE_WASM: a second policy build, interleaved with the first (to measure an optimisation).
// BENCH_CANDIDATE_CONFIG: fields merged into the candidate's configuration; "controls" is the capture
// controls' cost case: 10 path exclusions and an excluded method that never match this traffic, 3
// redacted headers (one present: authorization) and 5 redacted JSON fields (two present: qty, price).
const CONTROLS = {
  cequenceExcludePaths: ['/health', '/healthz', '/ready', '/live', '/metrics', '/static/*', '/assets/*', '/favicon.ico', '/robots.txt', '/v2/internal/*'],
  cequenceExcludeMethods: ['OPTIONS'],
  cequenceRedactHeaders: ['authorization', 'cookie', 'x-api-key'],
  cequenceRedactJsonFields: ['password', 'cardNumber', 'ssn', 'qty', 'price'],
};
const CANDIDATE_CONFIG: Record<string, unknown> | undefined = process.env.BENCH_CANDIDATE_CONFIG === 'controls'
  ? CONTROLS : process.env.BENCH_CANDIDATE_CONFIG ? JSON.parse(process.env.BENCH_CANDIDATE_CONFIG) : undefined;
const CANDIDATE = process.env.BENCH_CANDIDATE_WASM ?? (CANDIDATE_CONFIG ? policyWasmPath() : undefined);
interface Subject {
  name: Name;
  host: ProxyWasmHost;
}

async function main(): Promise<void> {
  const clock = new FakeClock();
  const mock: MockCequence = await startMock(clock);
  const subjects: Subject[] = [
    { name: 'empty', host: await subjectHost(await emptyWasm(), { clock }) },
    { name: 'reads', host: await subjectHost(await readsWasm(), { clock }) },
    { name: 'noop', host: await subjectHost(noopWasm(), { clock }) },
    { name: 'policy', host: await subjectHost(policyWasm(), { clock, config: policyConfig(mock), clusters: clustersFor(mock) }) },
  ];
  const policy = subjects[3].host;
  if (CANDIDATE) subjects.push({ name: 'candidate', host: await subjectHost(readFileSync(CANDIDATE), { clock, config: { ...policyConfig(mock), ...CANDIDATE_CONFIG }, clusters: clustersFor(mock) }) });
  let expectedAtEdge = 0;
  let edgeTotal = 0;

  /** Untimed: deliver everything the policy queued (and let the baselines tick the same way). */
  async function drain(): Promise<void> {
    let idle = 0;
    for (let i = 0; i < 200; i++) {
      const before = edgeTotal;
      clock.advance(1000);
      for (const s of subjects) tick(s.host);
      await settle(policy);
      if (CANDIDATE) await settle(subjects[4].host);
      edgeTotal += mock.counts.transactions;
      mock.reset();
      const pending = policy.pendingHttpCalls + (CANDIDATE ? subjects[4].host.pendingHttpCalls : 0);
      if (edgeTotal >= expectedAtEdge && pending === 0) return;
      // A build whose client does not deliver (or a stuck queue): stop waiting, the report says so.
      idle = edgeTotal === before && pending === 0 ? idle + 1 : 0;
      if (idle >= 10) return;
    }
  }

  function timed(s: Subject, stream: ReturnType<typeof typicalStream>, n: number): number {
    gc();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) s.host.runStream(stream);
    const dt = performance.now() - t0;
    if (s.name === 'policy' || s.name === 'candidate') expectedAtEdge += n;
    return (dt * 1000) / n; // µs per transaction
  }

  await drain(); // token fetch, first tick
  const perSize: Record<number, { n: number; us: Record<Name, number[]> }> = {};
  for (const size of SIZES) {
    const stream = typicalStream(size);
    // Calibrate n so one repetition of the policy takes ~TARGET_MS, within the default queue bounds
    // (5000 transactions / 4 MiB; a transaction carries at most 2 × 32 KiB of body).
    const txBytes = 2 * Math.min(size, 32 * 1024) * (4 / 3) + 2048; // bodies travel base64
    const cap = Math.max(5, Math.min(4000, Math.floor((3 * 1024 * 1024) / txBytes)));
    // Warm-up (JIT tiers, allocator, caches): every subject for ~WARM_MS, in queue-sized rounds.
    let probe = 0;
    for (const s of subjects) {
      const t0 = performance.now();
      while (performance.now() - t0 < WARM_MS) {
        const us = timed(s, stream, Math.min(cap, 50));
        if (s.name === 'policy') probe = us;
        await drain();
      }
    }
    const n = Math.max(5, Math.min(cap, Math.round((TARGET_MS * 1000) / probe)));
    perSize[size] = { n, us: { empty: [], reads: [], noop: [], policy: [], candidate: [] } };
    progress(`module: ${SIZE_LABEL[size]} — ${n} transactions per repetition, ${REPS} repetitions`);
  }

  for (let r = 0; r < REPS; r++) {
    for (const size of SIZES) {
      const stream = typicalStream(size);
      const { n, us } = perSize[size];
      for (let k = 0; k < subjects.length; k++) {
        const s = subjects[(k + r) % subjects.length]; // rotate the order every repetition
        us[s.name].push(timed(s, stream, n));
      }
      await drain();
    }
  }
  for (const s of subjects) assertHealthy(s.host, s.name);

  // ---- report ---------------------------------------------------------------------------------
  const rows: (string | number)[][] = [];
  const data: Record<string, unknown> = {};
  for (const size of SIZES) {
    const { n, us } = perSize[size];
    const m = { empty: median(us.empty), reads: median(us.reads), noop: median(us.noop), policy: median(us.policy) };
    const rNoop = pairedRatio(us.policy, us.noop);
    const added = median(us.policy.map((p, i) => p - us.noop[i]));
    const readsAdded = median(us.reads.map((p, i) => p - us.empty[i]));
    rows.push([
      SIZE_LABEL[size], fmt(m.empty), fmt(m.reads), fmt(readsAdded), fmt(m.noop), fmt(m.policy), ratio(rNoop), fmt(added),
      fmt(1e6 / m.policy, 0), fmt(1e6 / m.noop, 0), n,
    ]);
    data[size] = { n, reps: REPS, medianUs: m, policyOverNoop: rNoop, addedUs: added, readsOverEmptyUs: readsAdded, samples: us };
  }
  const big = perSize[1048576].us;
  const mid = perSize[32768].us;
  const totalBigOverMid = median(big.policy) / median(mid.policy);
  const addedBig = median(big.policy.map((p, i) => p - big.noop[i]));
  const addedMid = median(mid.policy.map((p, i) => p - mid.noop[i]));
  const kb = data[1024] as { policyOverNoop: number };
  const edgeOk = edgeTotal === expectedAtEdge;

  const candidateNote = CANDIDATE
    ? `\nCandidate build \`${displayPath(CANDIDATE)}\`${CANDIDATE_CONFIG ? ` configured with ${JSON.stringify(CANDIDATE_CONFIG)}` : ''}, interleaved with the policy in the same run:\n\n${mdTable(['body (each side)', 'policy µs/tx', 'candidate µs/tx', 'candidate / policy', 'candidate / no-op'],
      SIZES.map((size) => { const u = perSize[size].us; return [SIZE_LABEL[size], fmt(median(u.policy)), fmt(median(u.candidate)), ratio(pairedRatio(u.candidate, u.policy)), ratio(pairedRatio(u.candidate, u.noop))]; }))}\n`
    : '';
  const md = `## bench:module — in-module cost per transaction

Command: \`npm run bench:module\`${LONG ? ' (long)' : ''} · ${machineFacts()}
Policy module: \`${displayPath(policyWasmPath())}\` · ${REPS} interleaved repetitions (subject order rotated each time), medians; ratios are medians of the per-repetition ratios.
One transaction: 12 request headers + body, 12 response headers + body (same size both sides, valid UTF-8 JSON text, 16 KiB chunks), on_log/on_done/on_delete, through \`host.runStream\` (no HTTP) on one core.
The policy is configured against the mock Cequence (auth on); its queue is drained between repetitions (untimed), so the timed part is capture + serialise + enqueue; every captured transaction reached the mock Edge: ${edgeOk ? `yes (${edgeTotal})` : `NO (${edgeTotal} of ${expectedAtEdge})`}.

${mdTable(
    ['body (each side)', 'empty host µs/tx', 'reads only µs/tx', 'reads − empty µs', 'no-op µs/tx', 'policy µs/tx', 'policy / no-op', 'policy − no-op µs', 'policy tx/s/core', 'no-op tx/s/core', 'tx per rep'],
    rows,
  )}

- 1 MiB vs 32 KiB, policy total time: **${ratio(totalBigOverMid)}**; policy's added time (policy − no-op): ${fmt(addedBig)} µs vs ${fmt(addedMid)} µs = **${ratio(addedBig / addedMid)}** (target ≤ 1.2×).
- 1 KiB / 1 KiB transaction, policy / no-op: **${ratio(kb.policyOverNoop)}** (target ≤ 2×).
${candidateNote}
- "empty host" is a hand-written module whose callbacks return at once: what the emulator's JS host costs per stream (it is part of every column; Envoy's C++ host is cheaper).
- "reads only" is a hand-written module that makes the policy's host reads (both header maps, three properties, the clock, the body chunks up to 32 KiB a side) and nothing else: "reads − empty" is what getting the captured data out of the host costs in the emulator, a floor for any filter that captures it.
`;
  report('module', md, { reps: REPS, sizes: data, totalBigOverMid, addedBigOverMid: addedBig / addedMid, edgeTotal, expectedAtEdge });

  for (const s of subjects) s.host.close();
  await mock.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
