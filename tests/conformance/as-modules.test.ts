// The AssemblyScript test modules built with the project's SDK (tests/emulator/modules/), on both
// hosts: as_calls (proxy_http_call from the root context on its first tick, to a live cluster and
// to an unknown one) and as_stream (every body chunk read through proxy_get_buffer_bytes, never
// pausing: chunk counts with paced bodies, Content-Length and chunked, and totals of a 1 MB body).
import assert from 'node:assert/strict';
import http from 'node:http';
import { compileAS } from '../emulator/helpers.ts';
import { assertSame, conformance, withHost } from './conformance.ts';
import type { HostKind, RunningHost, WasmLine } from './hosts.ts';
import { normPairs, sleep } from './observe.ts';
import { callees, recorder } from './servers.ts';

// ---- as_calls --------------------------------------------------------------------------------

async function callsRun(kind: HostKind, cluster: string) {
  const c = await callees();
  const up = await recorder((_req, res) => res.end('x'));
  try {
    return await withHost(kind, { wasm: compileAS('as_calls'), config: { cluster }, upstreamUrl: up.url, services: c.services }, async (h) => {
      const roots = kind === 'envoy' ? 2 : 1; // Envoy's main-thread root context ticks and calls too
      const done = (ls: WasmLine[]) => ls.filter((l) => l.message.startsWith(cluster.startsWith('live') ? 'response ' : 'dispatch result=')).length >= roots;
      await h.waitFor(done, `${roots} root context(s) done`);
      if (!cluster.startsWith('live')) await sleep(300); // no callback may come
      const pick = (ls: WasmLine[]) => ls.filter((l) => /^(configured |dispatch |response )/.test(l.message)).map((l) => `${l.prefix}: ${l.message}`);
      return {
        worker: pick(h.wasmLines().filter((l) => !l.main)),
        mainThread: pick(h.wasmLines().filter((l) => l.main)),
        calleeSaw: c.live.seen.map((s) => ({ method: s.method, url: s.url, headers: normPairs(s.headers), body: s.body })),
      };
    });
  } finally {
    await c.close();
    await up.close();
  }
}

type CallsObs = Awaited<ReturnType<typeof callsRun>>;

/**
 * Known differences (emulator/README.md): Envoy's main thread runs a root context that ticks, so
 * it dispatches the same call (the callee sees it twice; its canary root context is gone before
 * the first tick); Node's HTTP client adds `Connection: keep-alive` to the call.
 */
function compareCalls(emu: CallsObs, envoy: CallsObs): void {
  assert.deepEqual(emu.mainThread, []);
  const configured = envoy.worker.filter((l) => l.includes('configured '));
  assert.deepEqual(envoy.mainThread, [...configured, ...envoy.worker], "Envoy's main thread: the canary's on_configure, then a root context like the worker's");
  const conn = (o: CallsObs) => o.calleeSaw.map((s) => s.headers.filter(([k]) => k === 'connection'));
  assert.deepEqual(conn(emu), emu.calleeSaw.map(() => [['connection', 'keep-alive']]));
  assert.deepEqual(conn(envoy), envoy.calleeSaw.map(() => []));
  const rest = (o: CallsObs) => o.calleeSaw.map((s) => ({ ...s, headers: s.headers.filter(([k]) => k !== 'connection') }));
  assert.equal(envoy.calleeSaw.length, 2 * emu.calleeSaw.length);
  if (envoy.calleeSaw.length) assert.deepStrictEqual(rest(envoy)[0], rest(envoy)[1], 'both of Envoy\'s calls are the same');
  assertSame({ worker: emu.worker, calleeSaw: rest(emu) }, { worker: envoy.worker, calleeSaw: rest(envoy).slice(0, emu.calleeSaw.length) }, 'as_calls observation');
}

conformance('as_calls (SDK): http call from the root context on tick, live cluster', (k) => callsRun(k, 'live.default.svc'), compareCalls);
conformance('as_calls (SDK): http call from the root context on tick, unknown cluster', (k) => callsRun(k, 'nope.default.svc'), compareCalls);

// ---- as_stream -------------------------------------------------------------------------------

interface Exchange { path: string; request: string[]; response: string[]; chunked: boolean; paced: boolean }

const chunk = (n: number, c: string) => c.repeat(n);
const EXCHANGES: Exchange[] = [
  { path: '/items/1', request: [chunk(700, 'a'), chunk(800, 'b'), chunk(900, 'c')], response: [chunk(1000, 'x'), chunk(1100, 'y'), chunk(1200, 'z')], chunked: false, paced: true },
  { path: '/items/2', request: [chunk(300, 'd'), chunk(400, 'e')], response: [chunk(500, 'u'), chunk(600, 'v'), chunk(700, 'w'), chunk(800, 'q')], chunked: true, paced: true },
  { path: '/big', request: [], response: Array.from({ length: 16 }, (_, i) => chunk(64 * 1024, String.fromCharCode(97 + i))), chunked: false, paced: false },
];

/**
 * One exchange on its own connection. Paced: the client writes request chunk i+1 only once the
 * upstream received chunk i, and the upstream writes response chunk i+1 only once the client
 * received chunk i, so each chunk reaches the filter in its own callback on both hosts.
 */
async function exchange(h: RunningHost, up: Awaited<ReturnType<typeof recorder>>, x: Exchange, received: { n: number }) {
  const agent = new http.Agent({ keepAlive: false });
  const until = async (cond: () => boolean, what: string) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > 10000) throw new Error(`timed out waiting for ${what}`);
      await sleep(2);
    }
  };
  const before = up.seen.length;
  const total = (a: string[], i: number) => a.slice(0, i).reduce((s, c) => s + c.length, 0);
  up.handle(async (_req, res) => {
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain' };
    if (!x.chunked) headers['content-length'] = total(x.response, x.response.length);
    res.writeHead(201, headers);
    for (let i = 0; i < x.response.length; i++) {
      if (i > 0 && x.paced) await until(() => received.n >= total(x.response, i), `client got response chunk ${i}`);
      if (!res.write(x.response[i])) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  });
  const status = await new Promise<number>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (x.request.length && !x.chunked) headers['content-length'] = String(total(x.request, x.request.length));
    if (x.request.length && x.chunked) headers['transfer-encoding'] = 'chunked';
    const req = http.request(`${h.url}${x.path}`, { method: x.request.length ? 'POST' : 'GET', headers, agent }, (res) => {
      res.on('data', (c: Buffer) => (received.n += c.length));
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', reject);
    });
    req.on('error', reject);
    void (async () => {
      for (let i = 0; i < x.request.length; i++) {
        if (i > 0 && x.paced) await until(() => (up.seen[before]?.body.length ?? 0) >= total(x.request, i), `upstream got request chunk ${i}`);
        req.write(x.request[i]);
      }
      req.end();
    })().catch(reject);
  });
  agent.destroy();
  return status;
}

async function streamRun(kind: HostKind) {
  const up = await recorder((_req, res) => res.end());
  try {
    return await withHost(kind, { wasm: compileAS('as_stream'), config: {}, upstreamUrl: up.url }, async (h) => {
      const out: Record<string, unknown> = {};
      for (const x of EXCHANGES) {
        const mark = h.wasmLines().length;
        const received = { n: 0 };
        const status = await exchange(h, up, x, received);
        await h.waitFor((ls) => ls.slice(mark).some((l) => l.message.startsWith('log request_bytes=')), `${x.path}: on_log`);
        const lines = h.wasmLines().slice(mark).map((l) => l.message);
        out[x.path] = {
          status,
          received: received.n,
          module: x.paced ? lines : lines.map((m) => m.replace(/chunks=(\d+)/, (_, n) => (Number(n) > 0 ? 'chunks=<n>' : 'chunks=0'))),
        };
      }
      return out;
    });
  } finally {
    await up.close();
  }
}

conformance('as_stream (SDK): body chunks through proxy_get_buffer_bytes, Content-Length and chunked, paced and 1 MB', streamRun);
