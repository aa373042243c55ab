// Properties and their encodings on both hosts, read by tests/emulator/modules/as_props.ts (an
// AssemblyScript module with the project's SDK) in the root context (on_configure) and in a stream's
// request headers, response headers and on_log: result code and raw bytes of every path.
import assert from 'node:assert/strict';
import { compileAS } from '../emulator/helpers.ts';
import { Connection } from './client.ts';
import { assertSame, conformance, withHost } from './conformance.ts';
import type { HostKind } from './hosts.ts';
import { awaitCount } from './observe.ts';
import { recorder } from './servers.ts';

const PATHS = [
  'node', 'xds/node', 'xds/node/id', 'xds/cluster_name', 'xds/route_name', 'cluster_name', 'route_name',
  'plugin_name', 'plugin_root_id', 'plugin_vm_id', 'listener_direction', 'xds/listener_direction',
  'request/path', 'request/url_path', 'request/host', 'request/scheme', 'request/method', 'request/protocol',
  'request/query', 'request/id', 'request/referer', 'request/useragent', 'request/size', 'request/total_size',
  'request/time', 'request/duration', 'request/headers', 'request/headers/x-foo', 'request/headers/referer',
  'response/code', 'response/code_details', 'response/flags', 'response/size', 'response/total_size',
  'response/headers', 'response/headers/content-length', 'response/trailers', 'response/grpc_status',
  'upstream/address', 'upstream/port', 'upstream/transport_failure_reason',
  'source/address', 'source/port', 'destination/address', 'destination/port',
  'connection/id', 'connection/mtls', 'connection/requested_server_name', 'connection_id', 'connection/termination_details',
  'source', 'request', 'nosuch', 'xds/upstream_host_metadata', 'xds/cluster_metadata', 'xds/route_metadata',
  'xds/listener_metadata', 'xds/filter_chain_name',
];

/** Values that legitimately differ between runs, replaced by what they are. */
function normalise(path: string, hex: string | undefined, ports: Record<string, string>): string | undefined {
  if (hex === undefined) return undefined;
  const b = Buffer.from(hex, 'hex');
  const text = b.toString('latin1');
  const i64 = b.length === 8 ? b.readBigInt64LE() : undefined;
  if (path === 'request/time') return i64 && i64 > 1_600_000_000_000_000_000n ? '<i64 ns since epoch>' : `bad ${hex}`;
  if (path === 'request/duration') return i64 !== undefined && i64 >= 0n ? '<i64 ns>' : `bad ${hex}`;
  if (path === 'request/id') return /^[0-9a-f-]{36}$/.test(text) ? '<uuid>' : text;
  if (path === 'connection/id' || path === 'connection_id') return b.length === 8 ? '<u64>' : `bad ${hex}`;
  if (path.endsWith('/port')) return i64 !== undefined ? `i64 ${ports[String(i64)] ?? '<port>'}` : `bad ${hex}`;
  if (/\/(address|host)$/.test(path)) return text.replace(/:(\d+)$/, (_, p) => `:${ports[p] ?? '<port>'}`);
  if (path === 'request/headers' || path === 'response/headers' || path === 'response/trailers' || path === 'xds/node') return `<${b.length} bytes>`;
  return hex;
}

async function propsRun(kind: HostKind) {
  const up = await recorder((_req, res) => { res.setHeader('content-type', 'text/plain'); res.end('x'); });
  try {
    return await withHost(kind, { wasm: compileAS('as_props'), config: { props: PATHS.join(',') }, upstreamUrl: up.url }, async (h) => {
      const conn = new Connection(h.url);
      await conn.request({ path: '/a/b?q=1', body: ['hello'], headers: [['user-agent', 'probe-ua'], ['referer', 'r'], ['x-foo', '1'], ['x-foo', '2']] });
      await awaitCount(h, 'prop log ', PATHS.length);
      conn.close();
      const ports: Record<string, string> = { [String(h.port)]: '<listener>', [new URL(up.url).port]: '<upstream>' };
      const out: Record<string, string> = {};
      const raw: Record<string, string> = {};
      // Envoy also runs the plugin on its main thread; compare the worker's root context and stream.
      for (const l of h.wasmLines().filter((x) => !x.main)) {
        const m = /^prop (\S+) (\S+) result=(\d+)(?: hex=([0-9a-f]*))?$/.exec(l.message);
        if (!m) continue;
        if (m[2] === 'source/address' && m[4]) { const p = /:(\d+)$/.exec(Buffer.from(m[4], 'hex').toString())?.[1]; if (p) ports[p] = '<client port>'; }
        raw[`${m[1]} ${m[2]}`] = m[4] ?? '';
      }
      for (const l of h.wasmLines().filter((x) => !x.main)) {
        const m = /^prop (\S+) (\S+) result=(\d+)(?: hex=([0-9a-f]*))?$/.exec(l.message);
        if (!m) continue;
        const v = normalise(m[2], m[4], ports);
        out[`${m[1]} ${m[2]}`] = v === undefined ? `result=${m[3]}` : `result=${m[3]} ${v}`;
      }
      return { values: out, raw };
    });
  } finally {
    await up.close();
  }
}

type Obs = Awaited<ReturnType<typeof propsRun>>;
const i64 = (hex: string) => Number(Buffer.from(hex, 'hex').readBigInt64LE());

/** Known differences (emulator/README.md, Differences from Envoy), asserted, then the rest must match. */
function compareProps(emu: Obs, envoy: Obs): void {
  const drop = new Set<string>();
  // xds.node: Envoy's Node message also carries its build version and every extension (~60 KB); the
  // emulator's has the same id, cluster and user_agent_name fields, which come first.
  for (const phase of ['configure', 'request_headers', 'response_headers', 'log']) {
    const k = `${phase} xds/node`;
    assert.ok(envoy.raw[k].startsWith(emu.raw[k]) && envoy.raw[k].length > emu.raw[k].length, k);
    drop.add(k);
  }
  // on_log: the request headers Envoy shows are the map its router changed afterwards
  // (+ x-envoy-expected-rq-timeout-ms: 15000, reordered); the response headers lost `connection:
  // keep-alive` and gained `server: envoy` (connection manager, after the filters).
  const size = 'x-envoy-expected-rq-timeout-ms'.length + '15000'.length;
  assert.equal(i64(envoy.raw['log request/total_size']) - i64(emu.raw['log request/total_size']), size);
  const respDelta = 'server'.length + 'envoy'.length - 'connection'.length - 'keep-alive'.length;
  assert.equal(i64(envoy.raw['log response/total_size']) - i64(emu.raw['log response/total_size']), respDelta);
  assert.equal(Buffer.from(envoy.raw['log response/headers'], 'hex').length - Buffer.from(emu.raw['log response/headers'], 'hex').length, respDelta);
  for (const k of ['log request/total_size', 'log request/headers', 'log response/total_size', 'log response/headers']) drop.add(k);
  const rest = (o: Obs) => Object.fromEntries(Object.entries(o.values).filter(([k]) => !drop.has(k)));
  assertSame(rest(emu), rest(envoy), 'properties');
}

conformance('properties (AssemblyScript probe): root context, request headers, response headers, on_log', propsRun, compareProps);
