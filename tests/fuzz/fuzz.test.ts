// CI smoke of the fuzzer: 20,000 hostile streams and 50 mutated configurations through the built module,
// with a seed that changes every run (printed, and in the failure message, so a failure can be replayed
// with `npm run fuzz -- --streams 20000 --seed <seed>`). No trap, nothing held back by the filter, peak
// linear memory within the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './fuzz.ts';
import { buildTrapModule } from '../envoy/modules/trap-module.ts';

test('20,000 hostile streams: no trap, every event passes at once', { timeout: 600_000 }, async () => {
  const seed = Number(process.env.CQ_FUZZ_SEED ?? Date.now() % 2 ** 31);
  console.log(`fuzz smoke seed ${seed} (replay: npm run fuzz -- --streams 20000 --seed ${seed})`);
  const r = await runFuzz({ streams: 20000, seed, configs: 50 });
  console.log(JSON.stringify({ ...r, garbageAnswers: Object.keys(r.garbageAnswers).length }));
  assert.equal(r.failure, undefined, `seed ${seed}: ${r.failure?.message} (case written to ${r.failure?.repro})`);
  assert.equal(r.traps, 0, `seed ${seed}`);
  assert.equal(r.nonContinue, 0, `seed ${seed}`);
  assert.equal(r.streams, 20000);
  assert.ok(r.peakMemory <= r.memoryBound, `seed ${seed}: peak linear memory ${r.peakMemory} is over the bound ${r.memoryBound} (capture budget + queue bound + 2 MiB)`);
  // The valid configuration (tried first) loads; its mutations are mostly refused, each with its line.
  assert.ok(r.configsRejected > 0 && r.configsRejected < r.configsTried, `the valid configuration loaded and mutations were refused (${r.configsRejected}/${r.configsTried} refused)`);
  assert.ok(Object.keys(r.garbageAnswers).length >= 5, `the root's calls met varied garbage: ${JSON.stringify(r.garbageAnswers)}`);
});

test('the fuzzer catches a module that traps, and writes the case out', { timeout: 120_000 }, async () => {
  const { mkdtempSync, readFileSync, rmSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'cq-fuzz-trap-'));
  try {
    const r = await runFuzz({ streams: 200, seed: 1, configs: 1, wasm: buildTrapModule(), reproDir: dir });
    assert.ok(r.traps > 0, JSON.stringify(r));
    assert.match(r.failure!.message, /trap/);
    assert.ok(existsSync(r.failure!.repro));
    assert.equal(JSON.parse(readFileSync(r.failure!.repro, 'utf8')).seed, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
