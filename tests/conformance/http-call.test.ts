// proxy_http_call on both hosts, made by the C probe from a stream's request headers (which it
// pauses until the answer comes, then resumes with set_effective_context + continue_stream):
// a live cluster, an unknown cluster name, a timeout, a connect failure, a reset after the headers,
// a connection closed before any header.
import assert from 'node:assert/strict';
import { probeWasm } from '../emulator/helpers.ts';
import { Connection } from './client.ts';
import { assertSame, conformance, withHost } from './conformance.ts';
import type { HostKind } from './hosts.ts';
import { dumped, messagesOf, normPairs, since, sleep } from './observe.ts';
import { callees } from './servers.ts';

const CASES: [string, string, string, number][] = [
  // name, cluster, path, timeout ms
  ['live', 'live.default.svc', '/ping', 5000],
  ['unknown cluster', 'nope.default.svc', '/ping', 5000],
  ['timeout', 'hang.default.svc', '/hang', 300],
  ['connect failure', 'closed.default.svc', '/x', 5000],
  ['reset after headers', 'reset.default.svc', '/r', 5000],
  ['closed before headers', 'close.default.svc', '/c', 5000],
  ['live after a reset', 'live.default.svc', '/again', 5000],
];

async function callRun(kind: HostKind) {
  const c = await callees();
  const up = await callees(); // its `live` server is the route's upstream
  try {
    return await withHost(kind, { wasm: probeWasm(), config: { probe: 'pause_for_call' }, upstreamUrl: up.live.url, services: c.services }, async (h) => {
      const out: Record<string, unknown> = {};
      for (const [name, cluster, path, timeout] of CASES) {
        const mark = h.wasmLines().length;
        const conn = new Connection(h.url);
        const reply = await conn.request({ path: '/front', headers: [['x-call-cluster', cluster], ['x-call-path', path], ['x-call-timeout', String(timeout)]] });
        conn.close();
        if (name === 'unknown cluster') await sleep(300); // no callback may come
        await h.waitFor((ls) => ls.slice(mark).some((l) => l.message.startsWith('delete id=')), `${name}: end of stream`);
        const msgs = messagesOf(since(h, mark));
        const pick = (p: string) => msgs.filter((m) => m.startsWith(p));
        out[name] = {
          call: pick('call result=').map((m) => m.replace(/token=\d+/, 'token=<n>')),
          callback: pick('call_response ').map((m) => m.replace(/token=\d+/, 'token=<n>').replace(/id=\d+/, 'id=<root>')),
          status: pick('call_status '),
          headers: normPairs(dumped(msgs, 'ch')),
          statusHeader: pick('cv '),
          body: pick('cbody '),
          resumed: pick('resume ').map((m) => m.replace(/ctx=\d+/, 'ctx=<stream>')),
          client: reply.status,
        };
      }
      const seen = c.live.seen[0];
      out.liveCalleeSaw = { method: seen?.method, url: seen?.url, headers: normPairs(seen?.headers ?? []) };
      return out;
    });
  } finally {
    await c.close();
    await up.close();
  }
}

type Obs = Awaited<ReturnType<typeof callRun>>;

/** Known difference (emulator/README.md): Node's HTTP client adds Connection: keep-alive to the call. */
function compareCalls(emu: Obs, envoy: Obs): void {
  const saw = (o: Obs) => o.liveCalleeSaw as { headers: [string, string][] };
  assert.deepStrictEqual(saw(emu).headers.filter(([k]) => k === 'connection'), [['connection', 'keep-alive']]);
  assert.deepStrictEqual(saw(envoy).headers.filter(([k]) => k === 'connection'), []);
  const rest = (o: Obs) => ({ ...o, liveCalleeSaw: { ...saw(o), headers: saw(o).headers.filter(([k]) => k !== 'connection') } });
  assertSame(rest(emu), rest(envoy));
}

conformance('proxy_http_call: live, unknown cluster, timeout, connect failure, reset, closed before headers', callRun, compareCalls);
