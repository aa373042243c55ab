// The benchmark harness's own pieces (no timing): the traffic it drives, the baselines it compares
// against, and the wasm reader behind bench:size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHost } from '../../emulator/host/index.ts';
import { emptyWasm, median, pairedRatio } from '../../bench/lib/common.ts';
import { chunks, jsonishBody, typicalStream } from '../../bench/lib/harness.ts';
import { parseWasm } from '../../bench/lib/wasm-sections.ts';

test('typical traffic: 12 headers each side, bodies of the exact size in 16 KiB chunks, valid UTF-8', () => {
  for (const size of [0, 1024, 32768, 1048576]) {
    const s = typicalStream(size);
    assert.equal((s.request.headers as [string, string][]).length, 12);
    assert.equal((s.response!.headers as [string, string][]).length, 12);
    const body = Buffer.concat(s.request.body as Buffer[]);
    assert.equal(body.length, size);
    assert.ok((s.request.body ?? []).every((c) => (c as Buffer).length <= 16384));
    assert.equal((s.request.body ?? []).length, Math.ceil(size / 16384));
    assert.equal(Buffer.from(body.toString('utf8'), 'utf8').length, size, 'valid UTF-8 round-trips');
  }
  assert.equal(chunks(jsonishBody(40000)).map((c) => c.length).join(','), '16384,16384,7232');
});

test('the empty baseline module passes a stream through unchanged, never pausing', async () => {
  const host = await createHost(await emptyWasm(), { keepLogs: false });
  try {
    const s = typicalStream(40000);
    const r = host.runStream(s);
    assert.ok(r.upstream.ended && r.downstream.ended);
    assert.equal(r.upstream.body.length, 40000);
    assert.ok(r.downstream.body.equals(Buffer.concat(s.response!.body as Buffer[])));
    assert.equal(host.vms[0].failed, false);
  } finally {
    host.close();
  }
});

test('wasm reader: one code body per defined function, sections add up to the file', async () => {
  for (const wasm of [await emptyWasm(), readFileSync(new URL('../emulator/modules/probe.wasm', import.meta.url))]) {
    const p = parseWasm(wasm);
    const mod = new WebAssembly.Module(wasm);
    const imported = WebAssembly.Module.imports(mod).filter((i) => i.kind === 'function').length;
    assert.equal(p.importedFuncs, imported);
    assert.ok(p.bodies.length > 0);
    assert.equal(p.sections.reduce((a, s) => a + s.size, 0), wasm.length - 8);
  }
});

test('statistics: medians and paired ratios', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(pairedRatio([2, 9, 4], [1, 3, 4]), 2);
});
