// npm run bench:profile — a CPU profile of the policy's per-transaction path (V8's sampling profiler
// sees wasm frames), summarised by self time per function. Runs host.runStream for the given body
// size (BENCH_PROFILE_BODY, default 1024; bytes each side) for BENCH_PROFILE_SECONDS (default 8) in a
// child `node --cpu-prof`, then prints the top functions. Function names come from the module's
// name section: profile a build that has one (BENCH_POLICY_WASM=…; `npx asc assembly/index.ts
// --target release --debug -o build/bench/policy-names.wasm` keeps names and the release optimisation);
// without names V8 shows wasm-function[N], mapped here through the build's .wat when it matches.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { codeArea, envInt, fmt, mdTable, policyWasm, policyWasmPath, displayPath, report, RESULTS_DIR, ROOT } from './lib/common.ts';
import { clustersFor, FakeClock, policyConfig, settle, startMock, subjectHost, tick, typicalStream } from './lib/harness.ts';

const BODY = envInt('BENCH_PROFILE_BODY', 1024);
const SECONDS = envInt('BENCH_PROFILE_SECONDS', 8);

async function child(): Promise<void> {
  const clock = new FakeClock();
  // The mock Cequence runs in the parent, so its work is not in this profile.
  const mock = JSON.parse(process.env.BENCH_PROFILE_MOCK!) as Parameters<typeof policyConfig>[0];
  const host = await subjectHost(policyWasm(), { clock, config: policyConfig(mock), clusters: clustersFor(mock) });
  const stream = typicalStream(BODY);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    for (let i = 0; i < 40; i++) host.runStream(stream);
    n += 40;
    clock.advance(1000);
    tick(host);
    await settle(host);
  }
  host.close();
  process.stderr.write(`[bench] profile: ${n} transactions\n`);
}

interface Node { id: number; callFrame: { functionName: string; url: string }; hitCount?: number; children?: number[] }

function summarise(file: string): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const self = new Map<string, number>();
  let total = 0;
  for (const n of prof.nodes) {
    const h = n.hitCount ?? 0;
    if (!h) continue;
    total += h;
    const fn = n.callFrame.functionName || '(anonymous)';
    const isWasm = n.callFrame.url.startsWith('wasm://') || /^\$?wasm-function\[/.test(fn) || fn.startsWith('$');
    const where = isWasm ? 'wasm' : n.callFrame.url.includes('/emulator/') ? 'emulator host (JS)' : n.callFrame.url.includes('/bench/') ? 'bench' : n.callFrame.url ? 'node/other JS' : 'V8/native';
    const key = `${where}\t${fn}`;
    self.set(key, (self.get(key) ?? 0) + h);
  }
  const byWhere = new Map<string, number>();
  for (const [k, v] of self) byWhere.set(k.split('\t')[0], (byWhere.get(k.split('\t')[0]) ?? 0) + v);
  const idle = [...self].filter(([k]) => k.endsWith('\t(idle)')).reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const top = [...self].filter(([k]) => !k.endsWith('\t(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 25);
  const wasm = [...self].filter(([k]) => k.startsWith('wasm\t'));
  const wasmTotal = wasm.reduce((a, [, v]) => a + v, 0);
  const byArea = new Map<string, number>();
  for (const [k, v] of wasm) {
    const a = codeArea(k.split('\t')[1]);
    byArea.set(a, (byArea.get(a) ?? 0) + v);
  }
  const pct = (v: number, of: number) => fmt((100 * v) / of, 1) + ' %';
  const md = `## bench:profile — where a ${BODY} B / ${BODY} B transaction's time goes

Command: \`npm run bench:profile\` (BENCH_PROFILE_BODY=${BODY}) · module \`${displayPath(policyWasmPath())}\` · ${busy} busy samples (idle excluded), self time. The mock Cequence runs in another process.

${mdTable(['where', 'share of busy samples'], [...byWhere].filter(([w]) => w !== 'V8/native' || true).sort((a, b) => b[1] - a[1]).map(([w, v]) => [w, pct(w === 'V8/native' ? v - idle : v, busy)]))}

Inside the module, by source area (share of wasm time):

${mdTable(['source area', 'share of wasm time'], [...byArea].sort((a, b) => b[1] - a[1]).map(([a, v]) => [a, pct(v, wasmTotal)]))}

Top wasm functions (share of wasm time):

${mdTable(['function', 'share of wasm time'], wasm.sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => [`\`${k.split('\t')[1]}\``, pct(v, wasmTotal)]))}

Top functions overall (share of busy samples):

${mdTable(['where', 'function', 'share'], top.map(([k, v]) => [k.split('\t')[0], `\`${k.split('\t')[1]}\``, pct(v, busy)]))}
`;
  report(`profile-${BODY}`, md, { total, top });
}

function spawnAsync(cmd: string, args: string[], opts: Parameters<typeof spawn>[2]): Promise<number | null> {
  return new Promise((resolve) => spawn(cmd, args, opts).once('exit', (c) => resolve(c)));
}

if (process.env.BENCH_PROFILE_CHILD === '1') {
  child().catch((e) => { console.error(e); process.exit(1); });
} else (async () => {
  const dir = path.join(RESULTS_DIR, 'cpuprofile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mock = await startMock();
  const r = await spawnAsync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--no-warnings', '--import', 'tsx', path.join(ROOT, 'bench/profile.ts')], {
    cwd: ROOT, stdio: 'inherit',
    env: { ...process.env, BENCH_PROFILE_CHILD: '1', BENCH_PROFILE_MOCK: JSON.stringify({ authUrl: mock.authUrl, edgeUrl: mock.edgeUrl, clientId: mock.clientId, clientSecret: mock.clientSecret, authPath: mock.authPath, edgePath: mock.edgePath }) },
  });
  await mock.close();
  if (r !== 0) process.exit(r ?? 1);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  // tsx may leave a loader profile too: the largest one is the run.
  files.sort((a, b) => readFileSync(b).length - readFileSync(a).length);
  summarise(files[0]);
})().catch((e) => { console.error(e); process.exit(1); });
