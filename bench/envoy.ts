// bench:envoy — what the policy costs on real Envoy (the reference host), against three baselines.
//
// Four gateways, each a real Envoy with one worker (`--concurrency 1`) started from the bundle by the
// harness (harness/subject.ts), all running for the whole bench and taken in turn (order rotated every
// repetition):
//   none      no wasm filter (no PolicyBinding)
//   wasm      a no-op filter without any SDK: hand-written WAT (bench/lib/common.ts EMPTY_WAT), every
//             callback returns Continue at once — what Envoy's wasm plumbing costs by itself
//   reads     a filter without any SDK that makes the host reads the policy makes and nothing else
//             (bench/lib/common.ts READS_WAT): what getting the captured data out of Envoy costs by itself
//   noop      the no-op AssemblyScript filter (bench/noop, same SDK, patch, runtime and flags as the policy)
//   policy    the policy, Edge answering (auth on, against the mock Cequence's token endpoint)
//   candidate with BENCH_CANDIDATE_WASM=<file>: another build of the policy, set up as `policy` (A/B)
// The upstream and the Edge are one raw-TCP Node process (bench/lib/fast-upstream.ts): it answers a body
// of the size the path names and counts what Edge received. Bodies: 0 B (GET), 1 KiB, 32 KiB, 1 MiB each
// way (POST; the same size back), 12 request headers, 9 response headers.
//
// Per body size: saturation (closed loop, wrk, BENCH_CONNECTIONS connections, one wrk thread) for
// requests/s and Envoy CPU time per request (utime + stime of the Envoy process from /proc/<pid>/stat
// over the run; for the policy the window runs until Edge stopped receiving, so delivery is counted);
// then latency at equal open-loop load (autocannon overallRate) at half the no-op filter's saturated
// rate, for p50/p99. Every figure is a median of BENCH_REPS interleaved repetitions; ratios are
// medians of the per-repetition ratios.
//
//   npm run bench:envoy     BENCH_REPS (default 5), BENCH_ENVOY_SECONDS (wrk run, integer, default 2),
//                           BENCH_ENVOY_RATE_SECONDS (open-loop run, default 1.5), BENCH_CONNECTIONS (10),
//                           BENCH_ENVOY_SIZES (comma-separated body sizes, default 0,1024,32768,1048576),
//                           BENCH_ENVOY_LATENCY=0 (saturation only, no open-loop runs), BENCH_ENVOY_CONFIGS
//                           (comma-separated gateways to run besides noop and policy, e.g. `candidate`),
//                           BENCH_POLICY_WASM (another build of the policy), BENCH_CANDIDATE_WASM (a sixth
//                           gateway running that build, interleaved with the rest: what a change buys)
//   npm run bench:envoy -- --memory
//                           Envoy RSS and the VMs' linear memory after BENCH_MEMORY_TXNS (default 1,000,000)
//                           transactions (1 KiB bodies each way) with Edge down, then with Edge slow
//                           (answers after BENCH_ENVOY_SLOW_MS, default 2000 ms): default policy settings.
//
// Needs `wrk` (Debian: apt-get install wrk). Linear memory is read from outside: V8 reserves 8 GiB of
// address space per wasm memory and makes the first memory.size bytes read-write, so in
// /proc/<pid>/smaps each VM's memory is the rw-p mapping right below an 8 GiB ---p reservation.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startSubject, type Subject } from '../harness/subject.ts';
import { envoyVersion } from '../envoy-gateway/index.ts';
import { displayPath, emptyWasm, readsWasm, envInt, fmt, fmtBytes, mdTable, median, noopWasm, pairedRatio, policyWasm, policyWasmPath, progress, ratio, report, ROOT, sleep } from './lib/common.ts';

const MEMORY = process.argv.includes('--memory');
const REPS = envInt('BENCH_REPS', 5);
const SECONDS = envInt('BENCH_ENVOY_SECONDS', 2);
const RATE_SECONDS = Number(process.env.BENCH_ENVOY_RATE_SECONDS ?? 1.5);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 10);
const SIZES = (process.env.BENCH_ENVOY_SIZES ?? '0,1024,32768,1048576').split(',').map(Number);
const MEMORY_TXNS = envInt('BENCH_MEMORY_TXNS', 1_000_000);
const SLOW_MS = envInt('BENCH_ENVOY_SLOW_MS', 2000);
const LATENCY = process.env.BENCH_ENVOY_LATENCY !== '0';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const TSX = ['--no-warnings', '--import', 'tsx'];

const CANDIDATE = process.env.BENCH_CANDIDATE_WASM;
const ALL_CONFIGS = ['none', 'wasm', 'reads', 'noop', 'policy', 'candidate'] as const;
type ConfigName = (typeof ALL_CONFIGS)[number];
const ONLY = process.env.BENCH_ENVOY_CONFIGS?.split(',');
const CONFIGS: ConfigName[] = ALL_CONFIGS.filter((c) => (c !== 'candidate' || CANDIDATE) && (!ONLY || ['noop', 'policy'].includes(c) || ONLY.includes(c)));
const LABEL: Record<ConfigName, string> = {
  none: 'no filter',
  wasm: 'no-op filter, no SDK (WAT)',
  reads: "the policy's host reads only, no SDK (WAT)",
  candidate: 'candidate build of the policy (BENCH_CANDIDATE_WASM)',
  noop: 'no-op AssemblyScript filter',
  policy: 'policy (Edge answering)',
};

/** Request headers sent by autocannon (wrk sends the same, from bench/lib/wrk.lua). */
const HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  authorization: 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl',
  'x-request-id': '8f14e45f-ceea-467f-a0e6-a5a0a9b3c1d2',
};

/** The schema defaults for the timing settings the harness shortens for tests. */
const DEFAULT_TIMING = {
  enableDebugLogs: false,
  cequenceFlushIntervalMs: 1000,
  cequenceStatsIntervalMs: 60000,
  cequenceEdgeTimeoutMs: 5000,
  cequenceAuthTimeoutMs: 5000,
  cequenceRetryInitialBackoffMs: 500,
  cequenceRetryMaxBackoffMs: 30000,
  cequenceRetryGiveUpMs: 600000,
};

// ---- processes --------------------------------------------------------------------------------

interface FastUpstream {
  port: number;
  child: ChildProcess;
  stats(): Promise<{ edgeRequests: number; edgeBytes: number; edgeTransactions: number }>;
}
function startFastUpstream(): Promise<FastUpstream> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'bench/lib/fast-upstream.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.once('data', (d: Buffer) => {
      const port = JSON.parse(d.toString()).port as number;
      resolve({ port, child, stats: async () => (await fetch(`http://127.0.0.1:${port}/__stats`)).json() as any });
    });
    child.once('exit', (c) => reject(new Error(`bench upstream exited ${c}`)));
  });
}

/** Point the API's upstream cluster (and, when `edge`, the Edge service's cluster, plain HTTP) at the fast upstream. */
function redirect(port: number, edge: boolean) {
  return (t: any) => {
    for (const c of t.cds.resources) {
      const name = String(c.name);
      if (name.endsWith('.upstream') || (edge && name.startsWith('cequence-edge-service.'))) {
        c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = { address: '127.0.0.1', port_value: port };
        delete c.transport_socket;
      }
    }
  };
}

/** Persistent autocannon child (bench/lib/load.ts reading one spec per line). */
function startAutocannon() {
  const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'bench/lib/load.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    run(spec: Record<string, unknown>): Promise<any> {
      return new Promise((resolve) => {
        waiting.push((l) => resolve(JSON.parse(l)));
        child.stdin!.write(JSON.stringify(spec) + '\n');
      });
    },
    close: () => child.kill(),
  };
}

interface WrkResult { requests: number; durationUs: number; bytes: number; connect: number; read: number; write: number; status: number; timeout: number; p50Us: number; p99Us: number }
function wrk(url: string, bodyBytes: number, seconds: number, connections = CONNECTIONS): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', path.join(ROOT, 'bench/lib/wrk.lua'), url], {
      env: { ...process.env, BENCH_BODY: String(bodyBytes) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.once('error', (e) => reject(new Error(`wrk: ${e.message} (Debian: apt-get install wrk)`)));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${out.slice(-300)}`));
      resolve(JSON.parse(line));
    });
  });
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}
/** Linear memory of each wasm VM in the process: the rw-p mapping just below each ≥ 4 GiB ---p reservation. */
function wasmMemories(pid: number): number[] {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n').map((l) => {
    const [range, perms] = l.split(/\s+/);
    const [a, b] = range.split('-').map((x) => BigInt('0x' + x));
    return { a, b, perms, anon: l.trim().split(/\s+/).length === 5 };
  });
  const out: number[] = [];
  for (let i = 1; i < maps.length; i++) {
    const m = maps[i];
    const p = maps[i - 1];
    if (m.perms.startsWith('---p') && m.b - m.a >= 4n << 30n && p.b === m.a && p.perms.startsWith('rw-p') && p.anon) out.push(Number(p.b - p.a));
  }
  return out.sort((x, y) => y - x);
}

function gatewayUrl(s: Subject, size: number): string {
  return `${s.url.replace(/\/$/, '')}/orders/${size}?include=items`;
}

/** Wait until the fast upstream's Edge counters have not moved for `quietMs`. */
async function edgeQuiet(up: FastUpstream, quietMs = 400, maxMs = 8000): Promise<void> {
  const t0 = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - t0 < maxMs) {
    const s = await up.stats();
    if (s.edgeBytes !== last) { last = s.edgeBytes; since = Date.now(); }
    if (Date.now() - since >= quietMs) return;
    await sleep(100);
  }
}

// ---- the throughput / CPU / latency bench ---------------------------------------------------------

interface Sample { rps: number; cpuUsPerReq: number; errors: number; p50?: number; p99?: number; rate?: number; edgeBytesPerReq?: number; delivered?: number }

async function startAll(up: FastUpstream): Promise<Record<ConfigName, Subject>> {
  const b64 = (b: Buffer) => `base64://${b.toString('base64')}`;
  const policyImpl = process.env.BENCH_POLICY_WASM ? { implementation: b64(policyWasm()) } : {};
  const common = { host: 'envoy' as const, workers: 1, config: DEFAULT_TIMING };
  const subjects = {} as Record<ConfigName, Subject>;
  if (CONFIGS.includes('none')) subjects.none = await startSubject({ ...common, withoutPolicy: true, envoy: { editTranslation: redirect(up.port, false) } });
  if (CONFIGS.includes('wasm')) subjects.wasm = await startSubject({ ...common, implementation: b64(await emptyWasm()), envoy: { editTranslation: redirect(up.port, false) } });
  if (CONFIGS.includes('reads')) subjects.reads = await startSubject({ ...common, implementation: b64(await readsWasm()), envoy: { editTranslation: redirect(up.port, false) } });
  subjects.noop = await startSubject({ ...common, implementation: b64(noopWasm()), envoy: { editTranslation: redirect(up.port, false) } });
  subjects.policy = await startSubject({ ...common, ...policyImpl, envoy: { editTranslation: redirect(up.port, true) } });
  if (CANDIDATE) subjects.candidate = await startSubject({ ...common, implementation: b64(readFileSync(CANDIDATE)), envoy: { editTranslation: redirect(up.port, true) } });
  // The token is fetched at start: wait for it so the first timed run does not include it.
  const t0 = Date.now();
  for (const c of ['policy', 'candidate'] as const) {
    while (subjects[c] && subjects[c].mock.tokenRequests.length === 0 && Date.now() - t0 < 10000) await sleep(50);
  }
  return subjects;
}

async function throughputBench() {
  envoyVersion();
  const up = await startFastUpstream();
  const subjects = await startAll(up);
  const ac = startAutocannon();
  const results: Record<number, Record<ConfigName, Sample[]>> = {};
  const t0 = Date.now();
  try {
    for (const size of SIZES) {
      const byCfg = Object.fromEntries(CONFIGS.map((c) => [c, [] as Sample[]])) as Record<ConfigName, Sample[]>;
      results[size] = byCfg;
      for (const c of CONFIGS) await wrk(gatewayUrl(subjects[c], size), size, 1); // warm-up
      await edgeQuiet(up);
      // Saturation.
      for (let r = 0; r < REPS; r++) {
        const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
        for (const c of order) {
          const s = subjects[c];
          const pid = s.envoy!.pid;
          const e0 = await up.stats();
          const cpu0 = cpuSeconds(pid);
          const w = await wrk(gatewayUrl(s, size), size, SECONDS);
          if (c === 'policy' || c === 'candidate') await edgeQuiet(up);
          const cpu1 = cpuSeconds(pid);
          const e1 = await up.stats();
          const errors = w.connect + w.read + w.write + w.status + w.timeout;
          byCfg[c].push({
            rps: w.requests / (w.durationUs / 1e6), cpuUsPerReq: ((cpu1 - cpu0) * 1e6) / w.requests, errors,
            ...(c === 'policy' || c === 'candidate' ? { edgeBytesPerReq: (e1.edgeBytes - e0.edgeBytes) / w.requests, delivered: (e1.edgeTransactions - e0.edgeTransactions) / w.requests } : {}),
          });
        }
        progress(`${size} B rep ${r + 1}/${REPS}: ${CONFIGS.map((c) => `${c} ${fmt(byCfg[c][r].rps, 0)} req/s ${fmt(byCfg[c][r].cpuUsPerReq)} µs CPU`).join(', ')}`);
      }
      // Equal open-loop load: half the no-op AssemblyScript filter's saturated rate.
      const rate = Math.max(10, Math.round(median(byCfg.noop.map((x) => x.rps)) / 2));
      for (let r = 0; r < (LATENCY ? REPS : 0); r++) {
        const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
        for (const c of order) {
          const res = await ac.run({
            url: gatewayUrl(subjects[c], size), connections: CONNECTIONS, duration: RATE_SECONDS, rate,
            method: size > 0 ? 'POST' : 'GET', headers: size > 0 ? { ...HEADERS, 'content-type': 'application/json' } : HEADERS, bodyBytes: size,
          });
          const i = r;
          Object.assign(byCfg[c][i], { p50: res.p50, p99: res.p99, rate: res.rps, errors: byCfg[c][i].errors + res.non2xx + res.errors + res.timeouts });
        }
        progress(`${size} B open loop ${rate} req/s rep ${r + 1}/${REPS}: ${CONFIGS.map((c) => `${c} p50 ${fmt(byCfg[c][r].p50!)} p99 ${fmt(byCfg[c][r].p99!)} ms`).join(', ')}`);
      }
      await edgeQuiet(up);
    }
  } finally {
    ac.close();
    for (const s of Object.values(subjects)) await s.close();
    up.child.kill();
  }
  const wallS = (Date.now() - t0) / 1000;
  const policyLines = subjects.policy.messages();
  const warnLines = subjects.policy.wasmLines().filter((l) => /warn|error|critical/.test(l.level)).map((l) => l.text);
  const warnings = warnLines.length;
  const captured = (l: string) => Number(/captured=(\d+)/.exec(l)?.[1] ?? -1);
  const lastStats = policyLines.filter((l) => /Stats:/.test(l)).sort((a, b) => captured(b) - captured(a))[0];

  const tables: string[] = [];
  const summary: Record<string, Record<string, number>> = {};
  const rows: (string | number)[][] = [];
  for (const size of SIZES) {
    const by = results[size];
    const med = (c: ConfigName, k: keyof Sample) => median((by[c] ?? []).map((x) => x[k] as number));
    const rel = (c: ConfigName, base: ConfigName, k: keyof Sample) => pairedRatio((by[c] ?? []).map((x) => x[k] as number), (by[base] ?? []).map((x) => x[k] as number));
    for (const c of CONFIGS) {
      rows.push([
        fmtBytes(size), LABEL[c], fmt(med(c, 'rps'), 0),
        c === 'none' ? '' : ratio(rel(c, 'none', 'rps')), c === 'noop' ? '' : ratio(rel(c, 'noop', 'rps')),
        fmt(med(c, 'cpuUsPerReq')), c === 'none' ? '' : ratio(rel(c, 'none', 'cpuUsPerReq')), c === 'noop' ? '' : ratio(rel(c, 'noop', 'cpuUsPerReq')),
        fmt(med(c, 'p50')), fmt(med(c, 'p99')), c === 'none' ? '' : ratio(rel(c, 'none', 'p99')), c === 'noop' ? '' : ratio(rel(c, 'noop', 'p99')),
        by[c].reduce((a, x) => a + x.errors, 0),
      ]);
    }
    summary[String(size)] = {
      rateReqPerS: med('noop', 'rate'),
      policyVsNoopRps: rel('policy', 'noop', 'rps'), policyVsNoneRps: rel('policy', 'none', 'rps'),
      policyVsNoopCpu: rel('policy', 'noop', 'cpuUsPerReq'), policyMinusNoopCpuUs: med('policy', 'cpuUsPerReq') - med('noop', 'cpuUsPerReq'),
      policyVsNoopP99: rel('policy', 'noop', 'p99'), policyVsNoopP50: rel('policy', 'noop', 'p50'),
      noopVsNoneRps: rel('noop', 'none', 'rps'), wasmVsNoneRps: rel('wasm', 'none', 'rps'),
      edgeBytesPerTx: med('policy', 'edgeBytesPerReq'),
      deliveredShare: med('policy', 'delivered'),
      readsMinusNoopCpuUs: med('reads', 'cpuUsPerReq') - med('noop', 'cpuUsPerReq'), readsVsNoopCpu: rel('reads', 'noop', 'cpuUsPerReq'),
      policyMinusReadsCpuUs: med('policy', 'cpuUsPerReq') - med('reads', 'cpuUsPerReq'),
      ...(CANDIDATE ? {
        candidateVsPolicyCpu: rel('candidate', 'policy', 'cpuUsPerReq'), candidateVsPolicyRps: rel('candidate', 'policy', 'rps'),
        candidateVsNoopRps: rel('candidate', 'noop', 'rps'), candidateMinusNoopCpuUs: med('candidate', 'cpuUsPerReq') - med('noop', 'cpuUsPerReq'),
        ...(LATENCY ? { candidateVsPolicyP99: rel('candidate', 'policy', 'p99') } : {}),
      } : {}),
    };
  }
  tables.push(mdTable(
    ['body (each way)', 'gateway', 'req/s (saturated)', 'req/s vs no filter', 'req/s vs no-op AS', 'Envoy CPU µs/req', 'CPU vs no filter', 'CPU vs no-op AS', 'p50 ms (equal load)', 'p99 ms', 'p99 vs no filter', 'p99 vs no-op AS', 'errors + non-2xx'],
    rows,
  ));
  const rates = SIZES.map((s) => `${fmtBytes(s)}: ${fmt(median(results[s].noop.map((x) => x.rps)) / 2, 0)} req/s`).join(', ');
  const md = [
    '## bench:envoy — cost on real Envoy',
    '',
    `Command: \`npm run bench:envoy\` · ${machine()}`,
    `Envoy ${envoyVersion()}, \`--concurrency 1\` (one worker VM), ${CONFIGS.length} gateways running side by side, taken in turn (order rotated each repetition); policy module: \`${displayPath(policyWasmPath())}\` (${readFileSync(policyWasmPath()).length.toLocaleString('en-US')} B), auth on, Edge answering (schema defaults for batching: 200 tx / 1 MiB / 1000 ms flush).`,
    `Upstream and Edge: one raw-TCP Node process (bench/lib/fast-upstream.ts). Saturation: wrk, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per run; Envoy CPU = utime+stime of the Envoy process over the run (for the policy until Edge stopped receiving, delivery included) / requests. Equal load: autocannon open loop at half the no-op AS filter's saturated rate (${rates}), ${RATE_SECONDS} s per run. ${REPS} interleaved repetitions, medians; ratios are medians of per-repetition ratios. Wall time ${fmt(wallS, 0)} s.`,
    `Requests: 12 headers; 0 B is a GET, the others POST a JSON body and get the same size back with 9 response headers.`,
    '',
    tables[0],
    '',
    ...(!CONFIGS.includes('reads') ? [] : SIZES.map((s) => `- ${fmtBytes(s)}: the policy's host reads alone (no SDK) cost ${ratio(summary[s].readsVsNoopCpu)} the no-op AS filter's CPU per request (+${fmt(summary[s].readsMinusNoopCpuUs)} µs); the policy costs +${fmt(summary[s].policyMinusReadsCpuUs)} µs over them (its own work: serialising, queueing, delivering).`)),
    ...(CANDIDATE ? SIZES.map((s) => `- ${fmtBytes(s)}: candidate (\`${displayPath(CANDIDATE)}\`) / policy — CPU per request **${ratio(summary[s].candidateVsPolicyCpu)}**, throughput ${ratio(summary[s].candidateVsPolicyRps)}${LATENCY ? `, p99 ${ratio(summary[s].candidateVsPolicyP99)}` : ''}; candidate / no-op AS throughput ${ratio(summary[s].candidateVsNoopRps)} (+${fmt(summary[s].candidateMinusNoopCpuUs)} µs CPU).`) : []),
    ...SIZES.map((s) => `- ${fmtBytes(s)}: policy / no-op AS — throughput **${ratio(summary[s].policyVsNoopRps)}**, CPU per request ${ratio(summary[s].policyVsNoopCpu)} (+${fmt(summary[s].policyMinusNoopCpuUs)} µs), p99 at equal load **${ratio(summary[s].policyVsNoopP99)}** (p50 ${ratio(summary[s].policyVsNoopP50)}); at saturation Edge received ${(summary[s].deliveredShare * 100).toFixed(0)} % of the transactions (the rest dropped queue_full: delivery is the bound, see the stats line), ${fmt(summary[s].edgeBytesPerTx, 0)} Edge bytes per request.`),
    `- The policy's warning/error lines during the run: ${warnings}; its stats line with the most captured (the worker's): ${lastStats ?? '(none in this run)'}`,
  ].join('\n');
  report('envoy', md, { reps: REPS, seconds: SECONDS, sizes: SIZES, results, summary, warnLines, stats: policyLines.filter((l) => /Stats:/.test(l)) });
}

function machine(): string {
  return [`nproc ${os.availableParallelism()}`, `CPU ${os.cpus()[0]?.model ?? 'unknown'}`, `load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`].join(', ');
}

// ---- memory after 1,000,000 transactions ---------------------------------------------------------

async function memoryBench() {
  envoyVersion();
  const up = await startFastUpstream();
  const rows: (string | number)[][] = [];
  const data: Record<string, unknown> = {};
  const t0 = Date.now();
  for (const mode of ['down', 'slow'] as const) {
    const s = await startSubject({
      host: 'envoy', workers: 1, config: { ...DEFAULT_TIMING, cequenceStatsIntervalMs: 10000 },
      ...(process.env.BENCH_POLICY_WASM ? { implementation: `base64://${policyWasm().toString('base64')}` } : {}),
      envoy: { editTranslation: redirect(up.port, false) },
    });
    try {
      const pid = s.envoy!.pid;
      const tw = Date.now();
      while (s.mock.tokenRequests.length === 0 && Date.now() - tw < 10000) await sleep(50);
      await s.mock.setEdgeMode(mode, mode === 'slow' ? { delayMs: SLOW_MS } : {});
      const start = { rss: rssBytes(pid), mem: wasmMemories(pid) };
      let sent = 0;
      let maxMem = 0;
      const ts = Date.now();
      while (sent < MEMORY_TXNS) {
        const w = await wrk(gatewayUrl(s, 1024), 1024, 5);
        sent += w.requests;
        maxMem = Math.max(maxMem, wasmMemories(pid)[0] ?? 0);
        progress(`Edge ${mode}: ${sent.toLocaleString('en-US')} transactions, worker linear memory ${fmtBytes(wasmMemories(pid)[0] ?? 0)}, RSS ${fmtBytes(rssBytes(pid))}`);
      }
      const seconds = (Date.now() - ts) / 1000;
      await sleep(11000); // one more stats line
      const end = { rss: rssBytes(pid), mem: wasmMemories(pid) };
      // The worker's line: the one with the most captured (the main thread's root contexts capture nothing).
      const captured = (l: string) => Number(/captured=(\d+)/.exec(l)?.[1] ?? -1);
      const stats = s.messages().filter((l) => /Stats:/.test(l)).sort((a, b) => captured(b) - captured(a))[0] ?? '(no stats line)';
      rows.push([`Edge ${mode}${mode === 'slow' ? ` (${SLOW_MS} ms)` : ''}`, sent.toLocaleString('en-US'), fmt(sent / seconds, 0), fmtBytes(start.mem[0] ?? 0), fmtBytes(maxMem), fmtBytes(end.mem[0] ?? 0),
        end.mem.slice(1).map(fmtBytes).join(', '), fmtBytes(start.rss), fmtBytes(end.rss), '`' + stats.replace(/^\[cequence\]\s*/, '') + '`']);
      data[mode] = { sent, seconds, start, end, maxMem, stats };
    } finally {
      await s.close();
    }
  }
  up.child.kill();
  const md = [
    '## bench:envoy --memory — Envoy RSS and linear memory after 1,000,000 transactions',
    '',
    `Command: \`npm run bench:envoy -- --memory\` · ${machine()} · wall ${fmt((Date.now() - t0) / 1000, 0)} s`,
    `Envoy ${envoyVersion()}, \`--concurrency 1\`, policy module \`${displayPath(policyWasmPath())}\`, schema defaults (queue 5000 transactions / 4 MiB, 2 batches in flight, give-up 600 s), auth on. wrk (1 thread, ${CONNECTIONS} connections) POSTs 1 KiB bodies (12 headers) through the gateway, 1 KiB answers; the mock Cequence's Edge is down (connection refused after the token was fetched) or slow (answers every batch after ${SLOW_MS} ms).`,
    'Linear memory: the size of each VM\'s wasm memory, read from /proc/<pid>/maps (the read-write part of V8\'s 8 GiB reservation); the worker VM is the largest, the others are the main thread\'s VMs.',
    '',
    mdTable(['run', 'transactions', 'req/s', 'worker linear memory at start', 'max', 'end', 'other VMs at end', 'Envoy RSS at start', 'RSS at end', 'last stats line'], rows),
  ].join('\n');
  report('envoy-memory', md, data);
}

if (MEMORY) await memoryBench();
else await throughputBench();
process.exit(0);
