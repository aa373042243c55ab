// proxy_get_shared_data / proxy_set_shared_data with CAS on both hosts, across two workers: the C
// probe reads key `x-shared-key`, then sets it to `x-shared-value` with cas `x-shared-cas` (0 =
// unconditional), from request headers. Two pinned connections, each served by a different worker
// (the emulator assigns connections round-robin; on Envoy the kernel spreads them, so connections
// are opened until two workers have answered), take turns. Compared: every result code, cas and
// value (Envoy 1.40: one cas counter from 1 for every key, a write with a stale cas is
// CasMismatch (8), a cas on a missing key is ignored).
import assert from 'node:assert/strict';
import { probeWasm } from '../emulator/helpers.ts';
import { Connection } from './client.ts';
import { assertSame, conformance, withHost } from './conformance.ts';
import type { HostKind, RunningHost } from './hosts.ts';
import { recorder } from './servers.ts';

/** The worker that served a request on `conn` (the probe's request_headers line). */
async function workerOf(h: RunningHost, conn: Connection): Promise<string> {
  const mark = h.wasmLines().length;
  assert.equal((await conn.request({ path: '/w' })).status, 200);
  await h.waitFor((ls) => ls.slice(mark).some((l) => l.message.startsWith('delete id=')), 'end of stream');
  return h.wasmLines().slice(mark).find((l) => l.message.startsWith('request_headers '))!.thread;
}

/** One request carrying the shared-data headers: the probe's get and set lines, and its worker. */
async function step(h: RunningHost, conn: Connection, key: string, value: string, cas?: number) {
  const mark = h.wasmLines().length;
  const headers: [string, string][] = [['x-shared-key', key], ['x-shared-value', value]];
  if (cas !== undefined) headers.push(['x-shared-cas', String(cas)]);
  assert.equal((await conn.request({ path: '/s', headers })).status, 200);
  await h.waitFor((ls) => ls.slice(mark).some((l) => l.message.startsWith('delete id=')), 'end of stream');
  const lines = h.wasmLines().slice(mark);
  const get = lines.find((l) => l.message.startsWith('shared_get '));
  const set = lines.find((l) => l.message.startsWith('shared_set '));
  assert.ok(get && set, lines.map((l) => l.message).join('\n'));
  return { thread: get.thread, get: get.message, set: set.message, cas: Number(/ cas=(\d+)/.exec(get.message)![1]) };
}

/** A cas no write ever gets here: a set with it is a read-only peek (CasMismatch) on an existing key. */
const BOGUS = 999999;

async function casRun(kind: HostKind) {
  const up = await recorder((_req, res) => res.end('x'));
  try {
    return await withHost(kind, { wasm: probeWasm(), config: { probe: '' }, upstreamUrl: up.url, workers: 2 }, async (h) => {
      const conns: Connection[] = [];
      try {
        let a: Connection | undefined;
        let b: Connection | undefined;
        let ta = '';
        for (let i = 0; i < 40 && !b; i++) {
          const c = new Connection(h.url);
          conns.push(c);
          const t = await workerOf(h, c);
          if (!a) { a = c; ta = t; } else if (t !== ta) b = c;
        }
        assert.ok(a && b, `no second worker answered in ${conns.length} connections`);
        const out: string[] = [];
        const threads: string[] = [];
        const run = async (name: string, conn: Connection, key: string, value: string, cas?: number) => {
          const s = await step(h, conn, key, value, cas);
          threads.push(s.thread === ta ? 'A' : 'B');
          out.push(`${name}: ${s.get} | ${s.set}`);
          return s;
        };
        await run('A writes k with cas 0 (key missing)', a, 'k', 'v1', 0);
        const c1 = (await run('B peeks k', b, 'k', '', BOGUS)).cas;
        await run('B writes k with the cas it read', b, 'k', 'v2', c1);
        await run('A writes k with the stale cas', a, 'k', 'v3', c1);
        await run('B writes k unconditionally (cas 0)', b, 'k', 'v4', 0);
        await run('A peeks k', a, 'k', '', BOGUS);
        await run('A writes a missing key k2 with a nonzero cas', a, 'k2', 'w1', 7);
        await run('B peeks k2', b, 'k2', '', BOGUS);
        await run('B writes k3 without a cas header', b, 'k3', 'x', undefined);
        await run('A peeks k3', a, 'k3', '', BOGUS);
        assert.deepEqual(threads, ['A', 'B', 'B', 'A', 'B', 'A', 'A', 'B', 'B', 'A'], 'each step on its worker');
        return out;
      } finally {
        for (const c of conns) c.close();
      }
    });
  } finally {
    await up.close();
  }
}

conformance('shared data: CAS across two workers (first write, peek, conditional, stale, unconditional, missing key with a cas)', casRun,
  (emu, envoy) => assertSame(emu, envoy, 'shared data results'));
