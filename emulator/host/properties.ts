// proxy_get_property: Envoy attribute paths (NUL separated) and their encodings
// (source/extensions/common/wasm/context.cc serializeValue + filters/common/expr/context.cc):
//   strings -> raw bytes, int64/uint64/timestamps/durations -> 8 bytes little-endian,
//   bool -> 1 byte, maps -> proxy-wasm pairs, messages -> protobuf bytes.
import { WasmResult } from './abi.ts';
import { encodePairs, type Pairs } from './pairs.ts';
import type { HostStream } from './stream.ts';

export interface PropertyEnv {
  pluginName: string;
  rootId: string;
  vmId: string;
  nodeId: string;
  nodeCluster: string;
  listenerDirection: number;
}

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

function nodeMessage(env: PropertyEnv): Buffer {
  return Buffer.concat([protoString(1, env.nodeId), protoString(2, env.nodeCluster)]);
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

function headersMap(map: Pairs | null | undefined, rest: string[]): Result {
  if (!map) return NOT_FOUND;
  if (rest.length === 0) return ok(encodePairs(map));
  if (rest.length > 1) return NOT_FOUND;
  const v = headerValue(map, rest[0].toLowerCase());
  return v === undefined ? NOT_FOUND : ok(bstr(v));
}

function requestAttr(s: HostStream, key: string, rest: string[]): Result {
  const info = s.info;
  const h = s.request.map;
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
    case 'url_path': return ok(bstr(q >= 0 ? path.slice(0, q) : path));
    case 'query': return ok(bstr(q >= 0 ? path.slice(q + 1) : ''));
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
  const h = s.response.map;
  if (key === 'headers') return headersMap(h, rest);
  if (key === 'trailers') return headersMap(s.response.trailers, rest);
  if (rest.length) return NOT_FOUND;
  switch (key) {
    case 'code': return info.responseCode === undefined ? NOT_FOUND : ok(int64(info.responseCode));
    case 'code_details':
      return info.responseCodeDetails === undefined ? NOT_FOUND : ok(str(info.responseCodeDetails));
    case 'flags': return ok(int64(info.responseFlags));
    case 'size': return ok(int64(info.responseBodyBytes));
    case 'total_size':
      return ok(int64(info.responseBodyBytes + headerBytes(h) + headerBytes(s.response.trailers)));
    default: return NOT_FOUND;
  }
}

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
  switch (top) {
    case 'plugin_name': return parts.length === 1 ? ok(str(env.pluginName)) : NOT_FOUND;
    case 'plugin_root_id': return parts.length === 1 ? ok(str(env.rootId)) : NOT_FOUND;
    case 'plugin_vm_id': return parts.length === 1 ? ok(str(env.vmId)) : NOT_FOUND;
    case 'listener_direction': return parts.length === 1 ? ok(int64(env.listenerDirection)) : NOT_FOUND;
    case 'node':
      if (key === undefined) return ok(nodeMessage(env));
      if (rest.length) return NOT_FOUND;
      if (key === 'id') return ok(str(env.nodeId));
      if (key === 'cluster') return ok(str(env.nodeCluster));
      return NOT_FOUND;
  }
  if (!stream) return NOT_FOUND;
  const info = stream.info;
  switch (top) {
    case 'request': return key === undefined ? NOT_FOUND : requestAttr(stream, key, rest);
    case 'response': return key === undefined ? NOT_FOUND : responseAttr(stream, key, rest);
    case 'source': return key === undefined ? NOT_FOUND : peer(info.connection.sourceAddress, info.connection.sourcePort, key, rest);
    case 'destination':
      return key === undefined ? NOT_FOUND : peer(info.connection.destinationAddress, info.connection.destinationPort, key, rest);
    case 'upstream': return key === undefined ? NOT_FOUND : peer(info.upstreamAddress, info.upstreamPort, key, rest);
    case 'connection_id': return parts.length === 1 ? ok(uint64(info.connection.connectionId)) : NOT_FOUND;
    case 'connection': {
      if (rest.length) return NOT_FOUND;
      switch (key) {
        case 'id': return ok(uint64(info.connection.connectionId));
        case 'mtls': return ok(bool(false));
        case 'requested_server_name': return ok(str(''));
        default: return NOT_FOUND;
      }
    }
    case 'cluster_name': return parts.length === 1 && info.clusterName ? ok(str(info.clusterName)) : NOT_FOUND;
    case 'route_name': return parts.length === 1 && info.routeName !== undefined ? ok(str(info.routeName)) : NOT_FOUND;
    case 'xds': {
      if (rest.length && key !== 'node') return NOT_FOUND;
      switch (key) {
        case 'cluster_name': return info.clusterName ? ok(str(info.clusterName)) : NOT_FOUND;
        case 'route_name': return info.routeName !== undefined ? ok(str(info.routeName)) : NOT_FOUND;
        case 'node': return getProperty(env, stream, ['node', ...rest]);
        default: return NOT_FOUND;
      }
    }
  }
  // Values set with proxy_set_property live in the stream's filter state.
  if (parts.length === 1 && stream.filterState.has(top)) return ok(stream.filterState.get(top)!);
  return NOT_FOUND;
}
