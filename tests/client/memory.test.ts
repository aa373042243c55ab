// Emulator only (the proxy-wasm host API): the client's memory stays within the configured queue bound
// plus a fixed overhead while Edge is down. It reads each VM's WebAssembly memory, which only the
// emulator exposes, and pushes 9000 transactions of ~4 KB, which the test module (tests/client/harness:
// the real policy root and client, one synthetic transaction per stream) makes cheap. Everything the
// client does that a gateway shows is tested on every host in delivery-e2e, token-e2e and outage-e2e.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEnv, ids, send, waitForStats, assertHealthy, sleep } from './helpers.ts';

function vmMemory(env: { host: { vms: { exports: Record<string, any> }[] } }): number[] {
  return env.host.vms.map((vm) => (vm.exports.memory as WebAssembly.Memory).buffer.byteLength);
}

test('cequenceQueueMaxBytes: memory stays within the bound plus a fixed overhead while Edge is down', async () => {
  const bound = 262144;
  const env = await startEnv({ config: { cequenceQueueMaxBytes: bound, cequenceQueueMaxTransactions: 100000 } });
  try {
    await env.mock.setEdgeMode('down');
    const before = vmMemory(env)[0];
    const rounds = async (n: number) => {
      for (let round = 0; round < n; round++) {
        send(env.host, ids(500, 'm'), 4000); // 500 transactions of ~4 KB
        await sleep(100); // lets the client's timer run between rounds (pacing, not a condition)
      }
    };
    await rounds(6); // ~12 MB through a 256 KiB queue
    const first = vmMemory(env)[0];
    await rounds(12); // ~24 MB more
    const second = vmMemory(env)[0];
    if (process.env.CQ_DEBUG) console.log(`memory ${before} -> ${first} -> ${second}`);
    const s = await waitForStats(env.host, (x) => x.captured === 9000, 'stats');
    assert.ok(s.queueFull > 8500, `expected most to be dropped, got ${JSON.stringify(s)}`);
    // Bounded: the queue holds at most 256 KiB (queued + in flight); the rest is the runtime, the
    // stream side's buffers and garbage-collector slack, a fixed multiple that does not grow with
    // traffic (measured: about 8x the bound at this size, 4x at the 4 MiB default).
    assert.ok(first <= 8 * bound + 1024 * 1024, `memory grew from ${before} to ${first} bytes`);
    assert.ok(second <= first, `memory kept growing with traffic: ${first} -> ${second} bytes`);
    await env.mock.setEdgeMode('ok');
    const done = await waitForStats(env.host, (x) => x.queued === 0 && x.inFlight === 0, 'drained');
    assert.equal(done.sent, env.mock.transactions.length);
    assert.equal(done.captured, done.sent + done.dropped);
    assertHealthy(env.host);
  } finally {
    await env.close();
  }
});
