// Memory under abuse, the case: 500 concurrent streams each sending an 8 MiB header block
// (Envoy's max_request_headers_kb at its 8192 maximum) and 1 MiB bodies each way, through the built
// module with the default bounds. Header blocks that do not fit in the capture budget are not read (the
// stream is counted as dropped, queue full by bytes); no trap, nothing held back, and the worker's
// linear memory stays within capture budget + queue bound + 2 MiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHost, type StreamSink } from '../../emulator/host/index.ts';
import { POLICY_WASM } from './fuzz.ts';

const schema = JSON.parse(readFileSync(new URL('../../schema/config.schema.json', import.meta.url), 'utf8'));
const QUEUE_BOUND: number = schema.properties.cequenceQueueMaxBytes.default; // the capture budget is the same
const MiB = 1048576;

test('500 streams of 8 MiB header blocks and 1 MiB bodies: no trap, bounded memory, every one counted', { timeout: 300_000 }, async () => {
  let nowMs = Date.now();
  const host = await createHost(readFileSync(POLICY_WASM), {
    config: { cequenceAuthUrl: 'http://auth.invalid', cequenceEdgeUrl: 'http://edge.invalid', cequenceAuthEnabled: false, cequenceStatsIntervalMs: 1000 },
    workers: 1, now: () => BigInt(nowMs) * 1_000_000n, logLevel: 'info',
  });
  try {
    const vm = host.vms[0];
    vm.clearTick();
    const memory = () => (vm.exports.memory as WebAssembly.Memory).buffer.byteLength;
    const block: [string, string][] = [[':method', 'POST'], [':path', '/upload'], [':authority', 'api.example.com'], ['x-big', 'v'.repeat(8 * MiB - 64)]];
    const body = Buffer.alloc(MiB, 0x61);
    let passed = 0;
    const sink: StreamSink = {
      requestHeaders: () => passed++, requestData: (c) => (passed += c.length), requestTrailers: () => passed++,
      responseHeaders: () => passed++, responseData: (c) => (passed += c.length), responseTrailers: () => passed++,
      localReply: (s) => assert.fail(`local reply ${s}`), reset: (r) => assert.fail(`reset ${r}`),
    };
    const streams = Array.from({ length: 500 }, () => host.openStream(sink, { worker: 0 }));
    let peak = memory();
    for (const st of streams) { st.requestHeaders(block, false); peak = Math.max(peak, memory()); }
    for (const st of streams) { st.requestData(body, true); st.responseHeaders([[':status', '200'], ['content-type', 'text/plain']], false); }
    for (const st of streams) { st.responseData(body, true); peak = Math.max(peak, memory()); }
    for (const st of streams) st.complete();
    peak = Math.max(peak, memory());
    assert.equal(vm.failed, false, `trapped: ${vm.failure}`);
    assert.equal(passed, 500 * (2 + 2 * MiB), 'every header block and body byte passed at once');
    const bound = 2 * QUEUE_BOUND + 2 * MiB;
    console.log(`peak linear memory ${(peak / MiB).toFixed(2)} MiB (bound ${(bound / MiB).toFixed(0)} MiB)`);
    assert.ok(peak <= bound, `peak linear memory ${peak} > capture budget + queue bound + 2 MiB = ${bound}`);
    // The Stats line accounts for every stream: captured and dropped by the byte bound, never built.
    nowMs += 2000;
    vm.call('proxy_on_tick', vm.rootContextId, vm.rootContextId);
    const stats = host.logs.map((e) => e.message).filter((m) => m.startsWith('[cequence] Stats: ')).at(-1)!;
    assert.match(stats, /^\[cequence\] Stats: captured=500 sent=0 dropped=500 \(queue_full=500 gave_up=0 rejected=0\) queued=0 \(0 bytes\)/);
  } finally {
    host.close();
  }
});
