// bench:gateway — end to end through the emulator's local gateway on loopback, with a load generator.
//
// Four lines, interleaved in every repetition (order rotated): the gateway with the policy (the real
// bundle from localDeploy, module inline as base64://), the same gateway with the no-op filter in the
// policy's place, the gateway with no filter at all (no PolicyBinding), and the upstream directly.
// Processes: this one runs the gateways and the mock Cequence (Edge up, auth on); the upstream (fixed
// 1 KiB JSON answer) and autocannon (exact-pinned; per-response latencies with sub-ms resolution) each
// run in their own child process. Requests: POST with a 1 KiB JSON body and 12 request headers
// (4 pseudo + 8), 10 connections, keep-alive.
//
// Two phases: saturation (closed loop, 10 connections) for requests/s, then latency at equal load
// (open loop at a fixed rate every line sustains) for p50/p99: the issue's p99 target is judged there.
//
//   npm run bench:gateway    BENCH_GATEWAY_SECONDS (per run, default 4; --long 15), BENCH_REPS (saturation, default 3;
//                            --long 7), BENCH_RATE_REPS (fixed rate, default 5; --long 9), BENCH_GATEWAY_RATE (req/s,
//                            default 40 % of the policy's saturated throughput), BENCH_CONNECTIONS (default 10)
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startGateway, type Gateway } from '../emulator/gateway/index.ts';
import { localDeploy } from '../harness/local-deploy.ts';
import { envInt, fmt, LONG, machineFacts, mdTable, median, noopWasm, pairedRatio, policyWasm, policyWasmPath, progress, ratio, report, ROOT, sleep, displayPath } from './lib/common.ts';
import { startMock } from './lib/harness.ts';

const SECONDS = envInt('BENCH_GATEWAY_SECONDS', LONG ? 15 : 4);
const REPS = envInt('BENCH_REPS', LONG ? 7 : 3);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 10);
const WARM_SECONDS = 2;
const RATE_REPS = envInt('BENCH_RATE_REPS', LONG ? 9 : 5);
/** Open-loop rate for the latency comparison (req/s); default: 40 % of the policy's measured throughput. */
const FIXED_RATE = process.env.BENCH_GATEWAY_RATE ? envInt('BENCH_GATEWAY_RATE', 500) : undefined;

const BODY = JSON.stringify({ order: { id: 12345, items: Array.from({ length: 12 }, (_, i) => ({ sku: `AB-${1000 + i}`, qty: i + 1, price: 9.99 })) } }).slice(0, 1024).padEnd(1024, ' ');
const HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  'content-type': 'application/json',
  authorization: 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl',
  'x-request-id': '8f14e45f-ceea-467f-a0e6-a5a0a9b3c1d2',
};

interface LoadResult {
  ok: number; non2xx: number; errors: number; timeouts: number; duration: number; rps: number; p50: number; p90: number; p99: number; p999: number; max: number;
}

const TSX = ['--no-warnings', '--import', 'tsx'];

function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'bench/lib/upstream-server.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.once('data', (d: Buffer) => {
      try { resolve({ url: `http://127.0.0.1:${JSON.parse(d.toString()).port}`, child }); } catch (e) { reject(e); }
    });
    child.once('exit', (c) => reject(new Error(`upstream exited ${c}`)));
  });
}

/** Wait until the mock Edge's transaction count reaches `atLeast` and then stops changing (the policy's queue is empty). */
async function waitStable(count: () => number, atLeast: number, maxMs: number): Promise<void> {
  const t0 = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - t0 < maxMs) {
    const c = count();
    if (c !== last) { last = c; since = Date.now(); }
    if (c >= atLeast && Date.now() - since >= 1500) return;
    await sleep(100);
  }
}

function load(url: string, seconds: number, rate?: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const spec = { url: url + '/v1/orders?include=items&expand=customer', connections: CONNECTIONS, duration: seconds, method: 'POST', headers: HEADERS, body: BODY, rate };
    const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'bench/lib/load.ts')], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_LOAD: JSON.stringify(spec) },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.once('exit', (code) => {
      try { resolve(JSON.parse(out.trim().split('\n').pop()!)); } catch { reject(new Error(`load generator exited ${code}: ${out}`)); }
    });
  });
}

type Name = 'policy' | 'noop' | 'none' | 'direct';

async function main(): Promise<void> {
  const up = await startUpstream();
  const mock = await startMock();
  const creds = { cequenceClientId: mock.clientId, cequenceClientSecret: mock.clientSecret, cequenceAuthPath: mock.authPath, cequenceEdgePath: mock.edgePath };
  const deploy = (o: { implementation?: string; withoutPolicy?: boolean }) =>
    localDeploy({ upstreamUrl: up.url, authUrl: mock.authUrl, edgeUrl: mock.edgeUrl, config: creds, listenPort: 0, ...o });
  const gw: Record<Exclude<Name, 'direct'>, Gateway> = {
    policy: await startGateway({ dir: deploy({ implementation: 'base64://' + policyWasm().toString('base64') }), listenPort: 0, workers: 1, logLevel: 'warn' }),
    noop: await startGateway({ dir: deploy({ implementation: 'base64://' + noopWasm().toString('base64') }), listenPort: 0, workers: 1, logLevel: 'warn' }),
    none: await startGateway({ dir: deploy({ withoutPolicy: true }), listenPort: 0, workers: 1, logLevel: 'warn' }),
  };
  if (!gw.policy.host || !gw.noop.host || gw.none.host) throw new Error('gateway set-up: expected a policy, a no-op filter, and no filter');
  const urls: Record<Name, string> = { policy: gw.policy.url, noop: gw.noop.url, none: gw.none.url, direct: up.url };
  const names: Name[] = ['direct', 'none', 'noop', 'policy'];
  const results: Record<Name, LoadResult[]> = { policy: [], noop: [], none: [], direct: [] };
  const atRate: Record<Name, LoadResult[]> = { policy: [], noop: [], none: [], direct: [] };
  let policyRequests = 0;
  try {
    for (const n of names) {
      progress(`gateway: warm-up ${n}`);
      const w = await load(urls[n], WARM_SECONDS);
      if (n === 'policy') policyRequests += w.ok + w.non2xx;
    }
    // Let the warm-up's batches go out before counting.
    await waitStable(() => mock.counts.transactions, policyRequests, 15_000);
    mock.reset();
    const edgeBefore = { tx: 0, req: 0, bytes: 0 };
    let countedPolicy = 0;
    for (let r = 0; r < REPS; r++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(k + r) % names.length];
        const res = await load(urls[n], SECONDS);
        results[n].push(res);
        if (n === 'policy') { policyRequests += res.ok + res.non2xx; countedPolicy += res.ok + res.non2xx; }
        progress(`gateway: rep ${r + 1}/${REPS} ${n}: ${fmt(res.rps, 0)} req/s, p50 ${fmt(res.p50)} ms, p99 ${fmt(res.p99)} ms${res.non2xx || res.errors ? `, non-2xx ${res.non2xx}, errors ${res.errors}` : ''}`);
      }
    }
    // Latency at equal load: open loop at a rate every line sustains.
    const rate = FIXED_RATE ?? Math.max(100, Math.round((0.4 * median(results.policy.map((x) => x.rps))) / 50) * 50);
    for (let r = 0; r < RATE_REPS; r++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(k + r) % names.length];
        const res = await load(urls[n], SECONDS, rate);
        atRate[n].push(res);
        if (n === 'policy') countedPolicy += res.ok + res.non2xx;
        progress(`gateway: ${rate} req/s rep ${r + 1}/${RATE_REPS} ${n}: ${fmt(res.rps, 0)} req/s, p50 ${fmt(res.p50)} ms, p99 ${fmt(res.p99)} ms`);
      }
    }
    await waitStable(() => mock.counts.transactions, countedPolicy, 15_000); // the last flush
    for (const e of mock.edgeRequests) { edgeBefore.req++; edgeBefore.bytes += e.bodyLength; }
    edgeBefore.tx = mock.counts.transactions;
    for (const vm of [...gw.policy.vms, ...gw.noop.vms]) if (vm.failed) throw new Error(`VM failed: ${vm.failure}`);

    const m = (n: Name, f: keyof LoadResult) => median(results[n].map((x) => x[f]));
    const mr = (n: Name, f: keyof LoadResult) => median(atRate[n].map((x) => x[f]));
    const label = (n: Name) => (n === 'policy' ? 'gateway + policy' : n === 'noop' ? 'gateway + no-op filter' : n === 'none' ? 'gateway, no filter' : 'upstream directly');
    const rateRows = names.map((n) => [
      label(n), fmt(mr(n, 'rps'), 0), fmt(mr(n, 'p50')), fmt(mr(n, 'p90')), fmt(mr(n, 'p99')), fmt(mr(n, 'p999')),
      n === 'policy' ? ratio(pairedRatio(atRate.policy.map((x) => x.p50), atRate.noop.map((x) => x.p50))) : '',
      n === 'policy' ? ratio(pairedRatio(atRate.policy.map((x) => x.p99), atRate.noop.map((x) => x.p99))) : '',
      atRate[n].reduce((a, x) => a + x.non2xx + x.errors, 0),
    ]);
    const p99AtRate = pairedRatio(atRate.policy.map((x) => x.p99), atRate.noop.map((x) => x.p99));
    const p50AtRate = pairedRatio(atRate.policy.map((x) => x.p50), atRate.noop.map((x) => x.p50));
    const rows = names.map((n) => [
      label(n),
      fmt(m(n, 'rps'), 0), fmt(m(n, 'p50')), fmt(m(n, 'p90')), fmt(m(n, 'p99')),
      n === 'direct' ? '' : ratio(pairedRatio(results[n].map((x) => x.rps), results.none.map((x) => x.rps))),
      n === 'policy' ? ratio(pairedRatio(results.policy.map((x) => x.p99), results.noop.map((x) => x.p99))) : '',
      results[n].reduce((a, x) => a + x.non2xx + x.errors, 0),
    ]);
    const p99Ratio = pairedRatio(results.policy.map((x) => x.p99), results.noop.map((x) => x.p99));
    const p99RatioOfMedians = m('policy', 'p99') / m('noop', 'p99');
    const md = `## bench:gateway — end to end through the local gateway

Command: \`npm run bench:gateway\`${LONG ? ' (long)' : ''} · ${machineFacts()}
Policy module: \`${displayPath(policyWasmPath())}\` · autocannon 9.0.0, ${CONNECTIONS} connections, ${SECONDS} s per run, ${REPS} interleaved repetitions (order rotated), medians; latencies per response (sub-ms), ratios are medians of per-repetition ratios.
POST /v1/orders?… with a 1 KiB JSON body and 12 request headers; the upstream (own process) answers 200 with 1 KiB JSON. The gateway (one worker VM) and the mock Cequence (Edge up, auth on) share this process; the load generator has its own. Three processes on ${'2'} cores: absolute numbers are the emulator's (a Node proxy), the ratios are the point.

Saturation (closed loop: each connection sends its next request when the previous answer arrives), ${REPS} repetitions:

${mdTable(['line', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s vs no filter', 'p99 vs no-op', 'non-2xx + errors'], rows)}

Latency at equal load (open loop, ${rate} req/s for every line = ${FIXED_RATE ? 'BENCH_GATEWAY_RATE' : "40 % of the policy's saturated throughput above"}), ${RATE_REPS} repetitions:

${mdTable(['line', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p50 vs no-op', 'p99 vs no-op', 'non-2xx + errors'], rateRows)}

- p99 with the policy vs the no-op filter at ${rate} req/s: **${ratio(p99AtRate)}** (p50 ${ratio(p50AtRate)}); target ≤ 1.05×. At saturation the closed loop turns lower throughput into latency: p99 ${ratio(p99Ratio)} (ratio of medians ${ratio(p99RatioOfMedians)}).
- Delivery during the counted runs: ${countedPolicy.toLocaleString('en-US')} requests through the policy counted by autocannon (requests still in flight when a run stops are proxied and captured but not counted: up to ${CONNECTIONS} per run), ${edgeBefore.tx.toLocaleString('en-US')} transactions received by the mock Edge in ${edgeBefore.req} requests (${fmt(edgeBefore.tx / Math.max(1, edgeBefore.req), 1)} tx per Edge request, ${fmt(edgeBefore.bytes / Math.max(1, edgeBefore.tx), 0)} bytes per transaction).
`;
    report('gateway', md, { seconds: SECONDS, reps: REPS, connections: CONNECTIONS, results, atRate, rate, p99AtRate, p50AtRate, p99Ratio, p99RatioOfMedians, edge: edgeBefore, countedPolicy });
  } finally {
    for (const g of Object.values(gw)) await g.close();
    await mock.close();
    up.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
