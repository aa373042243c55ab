// `npm run fuzz -- --streams N --seed S [--workers W] [--configs C] [--huge] [--concurrency K]`: the
// fuzzer from the command line; prints its report and exits 1 on a trap, a held-back event (the
// failing case is written to build/fuzz/repro-<seed>.json) or a peak linear memory over the bound.
import { runFuzz } from './fuzz.ts';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const seed = arg('seed', Date.now() % 2 ** 31);
const streams = arg('streams', 20000);
console.log(`fuzz: seed ${seed}, ${streams} streams (replay: npm run fuzz -- --streams ${streams} --seed ${seed})`);
let last = Date.now();
const report = await runFuzz({
  streams, seed,
  workers: arg('workers', 2),
  configs: arg('configs', 50),
  concurrency: arg('concurrency', 16),
  huge: process.argv.includes('--huge'),
  progress: (n) => {
    if (Date.now() - last > 10000) {
      last = Date.now();
      console.log(`fuzz: ${n} streams`);
    }
  },
});
const over = report.peakMemory > report.memoryBound;
console.log(JSON.stringify({ ...report, peakMemoryMiB: +(report.peakMemory / 1048576).toFixed(2), memoryBoundMiB: report.memoryBound / 1048576, withinMemoryBound: !over }, null, 1));
if (over) console.log(`fuzz: peak linear memory ${report.peakMemory} bytes is over the bound ${report.memoryBound} (capture budget + queue bound + 2 MiB)`);
process.exit(report.failure || report.traps > 0 || report.nonContinue > 0 || over ? 1 : 0);
