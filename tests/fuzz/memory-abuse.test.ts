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

/** The built module on one worker, Edge unreachable, its tick driven here; statsLine() ticks 2 s on and returns the last Stats line. */
async function abuseHost() {
  let nowMs = Date.now();
  const host = await createHost(readFileSync(POLICY_WASM), {
    config: { cequenceAuthUrl: 'http://auth.invalid', cequenceEdgeUrl: 'http://edge.invalid', cequenceAuthEnabled: false, cequenceStatsIntervalMs: 1000 },
    workers: 1, now: () => BigInt(nowMs) * 1_000_000n, logLevel: 'info',
  });
  const vm = host.vms[0];
  vm.clearTick();
  const memory = () => (vm.exports.memory as WebAssembly.Memory).buffer.byteLength;
  const statsLine = () => {
    nowMs += 2000;
    vm.call('proxy_on_tick', vm.rootContextId, vm.rootContextId);
    return host.logs.map((e) => e.message).filter((m) => m.startsWith('[cequence] Stats: ')).at(-1)!;
  };
  return { host, vm, memory, statsLine };
}

test('500 streams of 8 MiB header blocks and 1 MiB bodies: no trap, bounded memory, every one counted', { timeout: 300_000 }, async () => {
  const { host, vm, memory, statsLine } = await abuseHost();
  try {
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
    const stats = statsLine();
    assert.match(stats, /^\[cequence\] Stats: captured=500 sent=0 dropped=500 \(queue_full=500 gave_up=0 rejected=0\) queued=0 \(0 bytes\)/);
  } finally {
    host.close();
  }
});

test('streams whose header blocks each fit but together overflow the capture region: not captured, counted, memory flat', { timeout: 300_000 }, async () => {
  const { host, vm, memory, statsLine } = await abuseHost();
  try {
    const quiet = {
      requestHeaders() {}, requestData() {}, requestTrailers() {}, responseHeaders() {}, responseData() {}, responseTrailers() {},
      localReply: (s: number) => assert.fail(`local reply ${s}`), reset: (r: string) => assert.fail(`reset ${r}`),
    };
    // One ordinary call first: the queue's region is taken with the first transaction.
    const first = host.openStream(quiet, { worker: 0 });
    first.requestHeaders([[':method', 'GET'], [':path', '/first'], [':authority', 'api.example.com']], true);
    first.responseHeaders([[':status', '200']], true);
    first.complete();
    const start = memory();
    // 100 streams of ~300 KiB header blocks open at once: 30 MiB asked of a 4 MiB budget. The budget
    // turns most away before reading; those read until the region is cut up get what is left.
    const sizes = Array.from({ length: 100 }, (_, i) => 200 * 1024 + ((i * 7919) % 200) * 1024);
    const streams = sizes.map(() => host.openStream(quiet, { worker: 0 }));
    streams.forEach((st, i) => st.requestHeaders([[':method', 'GET'], [':path', `/r/${i}`], [':authority', 'api.example.com'], ['x-big', 'w'.repeat(sizes[i])]], true));
    for (const st of streams) st.responseHeaders([[':status', '200'], ['x-big', 'z'.repeat(150 * 1024)]], true);
    for (const st of streams) st.complete();
    assert.equal(vm.failed, false, `trapped: ${vm.failure}`);
    assert.equal(memory(), start, 'linear memory did not grow: both regions were taken before');
    assert.ok(start <= 2 * QUEUE_BOUND + 2 * MiB, `${start} within capture budget + queue bound + 2 MiB`);
    const stats = statsLine();
    const m = /captured=(\d+) sent=(\d+) dropped=(\d+) \(queue_full=(\d+) .*queued=(\d+) .*in_flight=(\d+)/.exec(stats)!;
    const [captured, , dropped, queueFull, queued, inFlight] = m.slice(1).map(Number);
    assert.equal(captured, 101, stats);
    assert.equal(dropped + queued + inFlight, 101, stats); // Edge unreachable: each one dropped, queued or out
    assert.ok(queueFull > 50 && queued > 0, `most turned away, some captured: ${stats}`);
  } finally {
    host.close();
  }
});
