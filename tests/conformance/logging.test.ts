// proxy_log on both hosts: the C probe logs one line at each level (trace..critical) and reads
// proxy_get_log_level in on_vm_start, with the host's wasm logger at trace, debug, info and error;
// which lines come out, at which Envoy level, naming which source line, and with which
// `wasm log…:` prefix in each context (_initialize, root context, stream context, a root callback
// after proxy_set_effective_context to a stream). Envoy's main thread (the plugin's extra VMs) is
// asserted on its own: a listed difference (emulator/README.md).
import assert from 'node:assert/strict';
import { probeWasm } from '../emulator/helpers.ts';
import { Connection } from './client.ts';
import { assertSame, conformance, withHost } from './conformance.ts';
import { PLUGIN_NAME, startHost, type HostKind, type Level, type WasmLine } from './hosts.ts';
import { callees } from './servers.ts';

const LEVELS: Level[] = ['trace', 'debug', 'info', 'error'];

const PICK = /^(initialize$|context_create |vm_start |level-check |level \d$|log_level=|configure |hello from stdout$|request_headers |call result=|call_response |resume |response_headers |log id=|done id=|delete id=)/;

const show = (l: WasmLine) =>
  `${l.level} ${l.source} wasm log${l.prefix ? ' ' + l.prefix : ''}: ${l.message.replace(/token=\d+/, 'token=<n>')}`;

async function logRun(kind: HostKind, level: Level) {
  const c = await callees();
  const up = await callees();
  try {
    return await withHost(kind, {
      wasm: probeWasm(), config: { probe: 'pause_for_call' }, upstreamUrl: up.live.url, services: c.services, logLevel: level,
    }, async (h) => {
      const worker = (ls: WasmLine[]) => ls.filter((l) => !l.main);
      if (level === 'error') {
        // Only the error and critical lines pass; nothing at info marks the end of start-up.
        await h.waitFor((ls) => worker(ls).some((l) => l.message === 'level 5'), 'the critical line');
      } else {
        const conn = new Connection(h.url);
        const reply = await conn.request({ path: '/front', headers: [['x-call-cluster', 'live.default.svc'], ['x-call-path', '/ping']] });
        conn.close();
        assert.equal(reply.status, 200);
        await h.waitFor((ls) => worker(ls).some((l) => l.message.startsWith('delete id=')), 'end of stream');
      }
      const lines = h.wasmLines();
      return {
        worker: worker(lines).filter((l) => PICK.test(l.message)).map(show),
        mainThread: lines.filter((l) => l.main && PICK.test(l.message)).map(show),
      };
    });
  } finally {
    await c.close();
    await up.close();
  }
}

type Obs = Awaited<ReturnType<typeof logRun>>;

/**
 * Envoy runs the plugin on its main thread too (emulator/README.md, Differences from Envoy): the
 * base VM runs `_initialize` only; a canary clone and the main thread's own VM each run
 * `_initialize`, a root context, on_vm_start and on_configure. Asserted here from Envoy's
 * main-thread lines (the worker's first lines, repeated: once without a root context, twice with);
 * the emulator has worker VMs only. Then the worker lines must be identical.
 */
function compareLogs(emu: Obs, envoy: Obs): void {
  assert.deepEqual(emu.mainThread, [], 'the emulator has no main-thread VM');
  const start = envoy.worker.slice(0, envoy.worker.findIndex((l) => l.includes(` wasm log ${PLUGIN_NAME} `)) >>> 0);
  const init = start.filter((l) => l.endsWith(': initialize'));
  const rootStart = start.filter((l) => !l.endsWith(': initialize'));
  assert.deepEqual(envoy.mainThread, [...init, ...init, ...rootStart, ...init, ...rootStart], "Envoy's main thread: base VM, canary, main-thread VM");
  assertSame(emu.worker, envoy.worker, 'log lines');
}

for (const level of LEVELS) {
  conformance(`proxy_log at each level with the wasm logger at ${level}; proxy_get_log_level; prefixes per context`, (k) => logRun(k, level), compareLogs);
}

/** Shutdown (Envoy: SIGTERM; emulator: close()): what each root context is told. */
async function shutdownRun(kind: HostKind) {
  const up = await callees();
  try {
    const h = await startHost(kind, { wasm: probeWasm(), config: { probe: '' }, upstreamUrl: up.live.url, workers: 2 });
    const mark = h.wasmLines().length;
    await h.close(); // Envoy's close() waits for its exit, so every line is in
    const after = h.wasmLines().slice(mark);
    // per thread (workers shut down concurrently on Envoy: their lines interleave)
    const threads = [...new Set(after.map((l) => l.thread))];
    const pick = (main: boolean) => threads.map((t) => after.filter((l) => l.thread === t && l.main === main).map((l) => `${l.prefix}: ${l.message}`)).filter((x) => x.length);
    return { worker: pick(false), mainThread: pick(true) };
  } finally {
    await up.close();
  }
}

conformance('shutdown: each root context gets on_done then on_delete', shutdownRun, (emu, envoy) => {
  assert.deepEqual(emu.mainThread, []);
  assert.deepEqual(envoy.mainThread, [['main: done id=1', 'main: delete id=1']], "Envoy's main-thread root context is shut down too");
  assertSame(emu.worker, envoy.worker, 'shutdown lines per worker');
  assert.equal(emu.worker.length, 2);
});
