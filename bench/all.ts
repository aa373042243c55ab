// npm run bench — every benchmark, one after the other (each in its own process), then one markdown
// file with all the tables: build/bench/ALL.md. Pass --long (or BENCH_LONG=1) for the long runs.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resultName, RESULTS_DIR, ROOT } from './lib/common.ts';

const NAMES = ['size', 'module', 'delivery', 'memory', 'gateway'];
const extra = process.argv.slice(2);
const parts: string[] = [];
let failed = 0;
for (const n of NAMES) {
  process.stderr.write(`\n[bench] ===== bench:${n} =====\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--no-warnings', '--import', 'tsx', path.join(ROOT, 'bench', `${n}.ts`), ...extra], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    parts.push(`## bench:${n}\n\nFAILED (exit ${r.status})\n`);
    continue;
  }
  parts.push(readFileSync(path.join(RESULTS_DIR, `${resultName(n)}.md`), 'utf8'));
}
writeFileSync(path.join(RESULTS_DIR, `${resultName('ALL')}.md`), parts.join('\n'));
process.stderr.write(`\n[bench] all tables: build/bench/${resultName('ALL')}.md${failed ? ` (${failed} failed)` : ''}\n`);
process.exit(failed ? 1 : 0);
