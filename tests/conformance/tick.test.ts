// proxy_set_tick_period_milliseconds on both hosts, two workers: the C probe (config `tick`) sets a
// 10 ms period in on_configure and sets it to 0 in its third on_tick. Compared: which root
// contexts tick, how often, in which order, and that ticks stop. Timing is checked only against
// generous bounds (a loaded 2-core machine): a tick never comes before its period has passed
// (ms timestamps, 1 ms rounding) and not seconds late.
import assert from 'node:assert/strict';
import { probeWasm } from '../emulator/helpers.ts';
import { assertSame, conformance, withHost } from './conformance.ts';
import type { HostKind, WasmLine } from './hosts.ts';
import { sleep } from './observe.ts';
import { recorder } from './servers.ts';

const WORKERS = 2;
const PERIOD_MS = 10;
const LATE_MS = 5000;

/** Per thread: its configure line and tick lines, in order. */
function byThread(lines: WasmLine[]): Map<string, WasmLine[]> {
  const out = new Map<string, WasmLine[]>();
  for (const l of lines) {
    if (!l.message.startsWith('configure ') && !l.message.startsWith('tick ')) continue;
    // Envoy's main thread runs two root contexts one after the other (canary, then its own):
    // a new configure line starts a new root context.
    if (l.message.startsWith('configure ')) out.set(`${l.thread}#${[...out.keys()].filter((k) => k.startsWith(l.thread + '#')).length}`, []);
    const key = [...out.keys()].filter((k) => k.startsWith(l.thread + '#')).at(-1);
    if (key) out.get(key)!.push(l);
  }
  return out;
}

async function tickRun(kind: HostKind) {
  const up = await recorder((_req, res) => res.end('x'));
  try {
    return await withHost(kind, { wasm: probeWasm(), config: { probe: 'tick' }, upstreamUrl: up.url, workers: WORKERS }, async (h) => {
      const ticking = (ls: WasmLine[]) => [...byThread(ls).values()].filter((t) => t.some((l) => l.message.startsWith('tick ')));
      const expected = kind === 'envoy' ? WORKERS + 1 : WORKERS; // + Envoy's main-thread VM
      await h.waitFor((ls) => ticking(ls).length === expected && ticking(ls).every((t) => t.filter((l) => l.message.startsWith('tick ')).length >= 3), `${expected} root contexts × 3 ticks`, 15000);
      await sleep(20 * PERIOD_MS); // a stopped timer stays stopped
      const roots: { main: boolean; ticks: string[] }[] = [];
      for (const [, ls] of byThread(h.wasmLines())) {
        const [configure, ...ticks] = ls;
        const times = ls.map((l) => l.time);
        for (let i = 1; i < times.length; i++) {
          const dt = times[i] - times[i - 1];
          assert.ok(dt >= PERIOD_MS - 1 && dt < LATE_MS, `${kind}: tick ${i} came ${dt} ms after the ${i === 1 ? 'configure' : 'previous tick'} (period ${PERIOD_MS} ms)`);
        }
        roots.push({ main: configure.main, ticks: ticks.map((l) => l.message) });
      }
      return {
        workers: roots.filter((r) => !r.main).map((r) => r.ticks),
        mainThread: roots.filter((r) => r.main).map((r) => r.ticks),
      };
    });
  } finally {
    await up.close();
  }
}

type Obs = Awaited<ReturnType<typeof tickRun>>;

/**
 * Envoy's main thread (emulator/README.md, Differences from Envoy): its canary root context is
 * configured then destroyed before any tick; the main thread's own root context ticks like a
 * worker's. The emulator has worker VMs only. Then the workers must agree.
 */
function compareTicks(emu: Obs, envoy: Obs): void {
  assert.deepEqual(emu.mainThread, []);
  const three = ['tick id=1 n=1', 'tick id=1 n=2', 'tick id=1 n=3'];
  assert.deepEqual(envoy.mainThread, [[], three], "Envoy's canary never ticks; the main thread's root context ticks");
  assertSame(emu.workers, envoy.workers, 'ticks');
  assert.deepEqual(emu.workers, [three, three]);
}

conformance('on_tick: 10 ms period on two workers, stopped by period 0 in the third tick', tickRun, compareTicks);
