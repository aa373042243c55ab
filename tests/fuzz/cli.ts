// `npm run fuzz -- --streams N --seed S [--workers W] [--configs C] [--huge] [--concurrency K]`: the
// fuzzer from the command line; prints its report and exits 1 on a trap or a held-back event (the
// failing case is written to build/fuzz/repro-<seed>.json).
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
console.log(JSON.stringify({ ...report, peakMemoryMiB: +(report.peakMemory / 1048576).toFixed(2) }, null, 1));
process.exit(report.failure || report.traps > 0 || report.nonContinue > 0 ? 1 : 0);
