// proxy_get_property: Envoy attribute paths (NUL separated) and their encodings
// (source/extensions/common/wasm/context.cc serializeValue + filters/common/expr/context.cc):
//   strings -> raw bytes, int64/uint64/timestamps/durations -> 8 bytes little-endian,
//   bool -> 1 byte, maps -> proxy-wasm pairs, messages -> protobuf bytes.
import { WasmResult } from './abi.ts';
import type { PropertyEnv } from './context.ts';
import { encodePairs, type Pairs } from './pairs.ts';
import type { HostStream } from './stream.ts';

type Result = { result: number; value?: Buffer };

const str = (s: string, enc: BufferEncoding = 'utf8'): Buffer => Buffer.from(s, enc);
const bstr = (s: string): Buffer => Buffer.from(s, 'latin1');
export function int64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}
export function uint64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
const bool = (v: boolean): Buffer => Buffer.from([v ? 1 : 0]);

function protoString(field: number, s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len: number[] = [];
  let n = bytes.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    len.push(b);
  } while (n);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), bytes]);
}

/** envoy.config.core.v3.Node: id, cluster, user_agent_name (Envoy adds its build and extensions). */
function nodeMessage(env: PropertyEnv): Buffer {
  return Buffer.concat([protoString(1, env.nodeId), protoString(2, env.nodeCluster), protoString(6, 'envoy')]);
}

function headerValue(map: Pairs | null | undefined, name: string): string | undefined {
  if (!map) return undefined;
  const vals = map.filter(([k]) => k === name).map(([, v]) => v);
  return vals.length ? vals.join(',') : undefined;
}

const headerBytes = (map: Pairs | null | undefined): number =>
  map ? map.reduce((a, [k, v]) => a + k.length + v.length, 0) : 0;

const ok = (value: Buffer): Result => ({ result: WasmResult.Ok, value });
const NOT_FOUND: Result = { result: WasmResult.NotFound };
/** Envoy cannot serialise a whole attribute group (`request`, `source`...) or some metadata. */
const SERIALIZATION_FAILURE: Result = { result: WasmResult.SerializationFailure };

/** A header map as Envoy's attributes see it: only while the filter can access it, else none. */
function accessible(s: HostStream, d: HostStream['request']): Pairs | null {
  return d.mapVisible || s.accessLogPhase ? d.map : null;
}

/** `request.headers` / `response.headers`: an empty map when the headers are not accessible. */
function headersMap(map: Pairs | null | undefined, rest: string[]): Result {
  if (!map) return rest.length === 0 ? ok(encodePairs([])) : NOT_FOUND;
  if (rest.length === 0) {
    // Envoy serialises the map with one entry per name, repeated values joined by ','.
    const merged = new Map<string, string>();
    for (const [k, v] of map) merged.set(k, merged.has(k) ? `${merged.get(k)},${v}` : v);
    return ok(encodePairs([...merged]));
  }
  if (rest.length > 1) return NOT_FOUND;
  const v = headerValue(map, rest[0].toLowerCase());
  return v === undefined ? NOT_FOUND : ok(bstr(v));
}

function requestAttr(s: HostStream, key: string, rest: string[]): Result {
  const info = s.info;
  // Header-derived attributes exist only while the request headers are accessible (their own
  // callback, or on_log); Envoy answers NotFound in later callbacks.
  const h = accessible(s, s.request);
  const path = headerValue(h, ':path') ?? '';
  const q = path.indexOf('?');
  if (key === 'headers') return headersMap(h, rest);
  if (rest.length) return NOT_FOUND;
  const hv = (n: string) => {
    const v = headerValue(h, n);
    return v === undefined ? NOT_FOUND : ok(bstr(v));
  };
  switch (key) {
    case 'path': return hv(':path');
    case 'url_path': return h ? ok(bstr(q >= 0 ? path.slice(0, q) : path)) : NOT_FOUND;
    case 'query': return h ? ok(bstr(q >= 0 ? path.slice(q + 1) : '')) : NOT_FOUND;
    case 'host': return hv(':authority');
    case 'scheme': return hv(':scheme');
    case 'method': return hv(':method');
    case 'referer': return hv('referer');
    case 'useragent': return hv('user-agent');
    case 'id': return hv('x-request-id');
    case 'protocol': return ok(str(info.protocol));
    case 'time': return ok(int64(info.startTimeNs));
    case 'duration':
      return info.endTimeNs === undefined ? NOT_FOUND : ok(int64(info.endTimeNs - info.startTimeNs));
    case 'size': {
      const cl = headerValue(h, 'content-length');
      if (cl !== undefined && /^\d+$/.test(cl)) return ok(int64(BigInt(cl)));
      return ok(int64(info.requestBodyBytes));
    }
    case 'total_size':
      return ok(int64(info.requestBodyBytes + headerBytes(h) + headerBytes(s.request.trailers)));
    default: return NOT_FOUND;
  }
}

function responseAttr(s: HostStream, key: string, rest: string[]): Result {
  const info = s.info;
  const h = accessible(s, s.response);
  if (key === 'headers') return headersMap(h, rest);
  if (key === 'trailers') return headersMap(s.response.trailersVisible || s.accessLogPhase ? s.response.trailers : null, rest);
  if (rest.length) return NOT_FOUND;
  switch (key) {
    case 'code': return info.responseCode === undefined ? NOT_FOUND : ok(int64(info.responseCode));
    case 'code_details':
      return info.responseCodeDetails === undefined ? NOT_FOUND : ok(str(info.responseCodeDetails));
    case 'flags': return ok(int64(info.responseFlags));
    case 'size': return ok(int64(info.responseBodyBytes));
    case 'total_size':
      return ok(int64(info.responseBodyBytes + headerBytes(h) + headerBytes(s.response.trailers)));
    case 'grpc_status': {
      if (info.responseCode === undefined) return NOT_FOUND;
      const g = headerValue(s.response.trailers, 'grpc-status') ?? headerValue(s.response.map, 'grpc-status');
      if (g !== undefined && /^\d+$/.test(g)) return ok(int64(Number(g)));
      return ok(int64(httpToGrpcStatus(info.responseCode)));
    }
    default: return NOT_FOUND;
  }
}

/** Envoy Grpc::Utility::httpToGrpcStatus. */
function httpToGrpcStatus(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

/** The upstream host is known once the upstream answered (or in on_log). */
const upstreamKnown = (s: HostStream): boolean => s.response.map !== null || s.accessLogPhase;

function peer(address: string | undefined, port: number | undefined, key: string, rest: string[]): Result {
  if (rest.length || address === undefined) return NOT_FOUND;
  if (key === 'address') return ok(str(port === undefined ? address : `${address}:${port}`));
  if (key === 'port') return port === undefined ? NOT_FOUND : ok(int64(port));
  return NOT_FOUND;
}

/**
 * Resolve a property path. `stream` is the stream of the effective context (undefined in the
 * root context: stream attributes are then NotFound, as in Envoy where no StreamInfo exists).
 */
export function getProperty(env: PropertyEnv, stream: HostStream | undefined, parts: string[]): Result {
  if (parts.length === 0) return NOT_FOUND;
  const [top, key, ...rest] = parts;
  // Envoy 1.40: `node`, `cluster_name`, `route_name`, `listener_direction` exist only under `xds.`.
  switch (top) {
    case 'plugin_name': return parts.length === 1 ? ok(str(env.pluginName)) : NOT_FOUND;
    case 'plugin_root_id': return parts.length === 1 ? ok(str(env.rootId)) : NOT_FOUND;
    case 'plugin_vm_id': return parts.length === 1 ? ok(str(env.vmId)) : NOT_FOUND;
  }
  if (top === 'xds' && key === 'node') {
    if (rest.length === 0) return ok(nodeMessage(env));
    if (rest.length > 1) return NOT_FOUND;
    if (rest[0] === 'id') return ok(str(env.nodeId));
    if (rest[0] === 'cluster') return ok(str(env.nodeCluster));
    if (rest[0] === 'user_agent_name') return ok(str('envoy'));
    return NOT_FOUND;
  }
  if (!stream) return NOT_FOUND;
  const info = stream.info;
  switch (top) {
    case 'request': return key === undefined ? SERIALIZATION_FAILURE : requestAttr(stream, key, rest);
    case 'response': return key === undefined ? SERIALIZATION_FAILURE : responseAttr(stream, key, rest);
    case 'source': return key === undefined ? SERIALIZATION_FAILURE : peer(info.connection.sourceAddress, info.connection.sourcePort, key, rest);
    case 'destination':
      return key === undefined ? SERIALIZATION_FAILURE : peer(info.connection.destinationAddress, info.connection.destinationPort, key, rest);
    case 'upstream':
      if (key === undefined) return SERIALIZATION_FAILURE;
      if (!upstreamKnown(stream)) return NOT_FOUND;
      if (key === 'transport_failure_reason') return rest.length ? NOT_FOUND : ok(str(''));
      return peer(info.upstreamAddress, info.upstreamPort, key, rest);
    case 'connection_id': return parts.length === 1 ? ok(uint64(info.connection.connectionId)) : NOT_FOUND;
    case 'connection': {
      if (key === undefined) return SERIALIZATION_FAILURE;
      if (rest.length) return NOT_FOUND;
      switch (key) {
        case 'id': return ok(uint64(info.connection.connectionId));
        case 'mtls': return ok(bool(false));
        case 'requested_server_name': return ok(str(''));
        default: return NOT_FOUND;
      }
    }
    case 'xds': {
      if (rest.length) return NOT_FOUND;
      switch (key) {
        case 'cluster_name': return info.clusterName ? ok(str(info.clusterName)) : NOT_FOUND;
        case 'route_name': return info.routeName !== undefined ? ok(str(info.routeName)) : NOT_FOUND;
        case 'listener_direction': return ok(int64(env.listenerDirection));
        case 'cluster_metadata': case 'route_metadata': case 'listener_metadata': case 'filter_chain_name':
          return ok(str('')); // no metadata configured: an empty value
        case 'upstream_host_metadata': return upstreamKnown(stream) ? SERIALIZATION_FAILURE : NOT_FOUND;
        default: return NOT_FOUND;
      }
    }
  }
  // Values set with proxy_set_property live in the stream's filter state.
  if (parts.length === 1 && stream.filterState.has(top)) return ok(stream.filterState.get(top)!);
  return NOT_FOUND;
}
