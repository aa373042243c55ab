// The env.proxy_* functions on header maps and buffers, and which map or buffer a call may reach
// in its phase (Envoy's getMap, getConstMap and getBuffer in context.cc).
import { BufferType, BUFFER_TYPE_MAX, HEADER_MAP_TYPE_MAX, HeaderMapType, WasmResult } from './abi.ts';
import type { CallerVm } from './caller-vm.ts';
import { u32 } from './guest-memory.ts';
import { decodePairs, encodePairs, type Pairs } from './pairs.ts';

/** Envoy's HeaderMapImpl: pseudo headers (`:name`) stay before the others; the rest is appended. */
function insertHeader(map: Pairs, key: string, value: string): void {
  if (!key.startsWith(':')) { map.push([key, value]); return; }
  let i = 0;
  while (i < map.length && map[i][0].startsWith(':')) i++;
  map.splice(i, 0, [key, value]);
}

/** Header map for reading (Envoy getConstMap). */
function constMap(vm: CallerVm, type: number): Pairs | null {
  if (type === HeaderMapType.HttpCallResponseHeaders) return vm.httpCallResponse?.headers ?? null;
  if (type === HeaderMapType.HttpCallResponseTrailers) return vm.httpCallResponse?.trailers ?? null;
  const s = vm.context()?.stream;
  if (!s) return null;
  if (s.accessLogPhase) {
    if (type === HeaderMapType.RequestHeaders) return s.request.map;
    if (type === HeaderMapType.ResponseHeaders) return s.response.map;
    if (type === HeaderMapType.ResponseTrailers) return s.response.trailers;
    return null;
  }
  return mutableMap(vm, type);
}
/** Header map for writing (Envoy getMap): only the map of the current phase. */
function mutableMap(vm: CallerVm, type: number): Pairs | null {
  const s = vm.context()?.stream;
  if (!s || s.accessLogPhase) return null;
  switch (type) {
    case HeaderMapType.RequestHeaders: return s.request.mapVisible ? s.request.map : null;
    case HeaderMapType.RequestTrailers: return s.request.trailersVisible ? s.request.trailers : null;
    case HeaderMapType.ResponseHeaders: return s.response.mapVisible ? s.response.map : null;
    case HeaderMapType.ResponseTrailers: return s.response.trailersVisible ? s.response.trailers : null;
    default: return null;
  }
}

function bodyBuffer(vm: CallerVm, type: number): { get: () => Buffer; set?: (b: Buffer) => void } | null {
  const empty = Buffer.alloc(0);
  switch (type) {
    case BufferType.HttpRequestBody:
    case BufferType.HttpResponseBody: {
      const s = vm.context()?.stream;
      const d = s && !s.accessLogPhase ? (type === BufferType.HttpRequestBody ? s.request : s.response) : undefined;
      if (!d || !d.bodyVisible || !d.body) return { get: () => empty };
      return { get: () => d.body ?? empty, set: (b) => { d.body = b; } };
    }
    case BufferType.HttpCallResponseBody:
      return vm.httpCallResponse ? { get: () => vm.httpCallResponse!.body } : null;
    case BufferType.VmConfiguration: return { get: () => vm.host.vmConfig };
    case BufferType.PluginConfiguration: return vm.configuring ? { get: () => vm.configuring! } : null;
    case BufferType.NetworkDownstreamData:
    case BufferType.NetworkUpstreamData:
    case BufferType.GrpcReceiveBuffer:
    case BufferType.CallData:
      return { get: () => empty };
    default: return null;
  }
}

export function mapAndBufferImports(vm: CallerVm): Record<string, (...a: any[]) => number> {
  const R = WasmResult;
  return {
    proxy_get_header_map_value(type: number, kp: number, ks: number, vpp: number, vsp: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const k = vm.memory.read(kp, ks);
      if (!k) return R.InvalidMemoryAccess;
      const map = constMap(vm, type);
      if (!map) return vm.context()?.stream?.accessLogPhase ? R.NotFound : R.BadArgument;
      const key = k.toString('latin1').toLowerCase();
      const e = map.find(([n]) => n === key);
      if (!e) return R.NotFound;
      return vm.memory.copyOut(Buffer.from(e[1], 'latin1'), vpp, vsp);
    },
    proxy_add_header_map_value(type: number, kp: number, ks: number, vp: number, vs: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const k = vm.memory.read(kp, ks);
      const v = vm.memory.read(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      const map = mutableMap(vm, type);
      if (!map) return R.BadArgument;
      insertHeader(map, k.toString('latin1').toLowerCase(), v.toString('latin1'));
      return R.Ok;
    },
    proxy_replace_header_map_value(type: number, kp: number, ks: number, vp: number, vs: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const k = vm.memory.read(kp, ks);
      const v = vm.memory.read(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      const map = mutableMap(vm, type);
      if (!map) return R.BadArgument;
      const key = k.toString('latin1').toLowerCase();
      const value = v.toString('latin1');
      // Envoy HeaderMap::setCopy: remove every value, then add (the header moves to the end).
      for (let i = map.length - 1; i >= 0; i--) if (map[i][0] === key) map.splice(i, 1);
      insertHeader(map, key, value);
      return R.Ok;
    },
    proxy_remove_header_map_value(type: number, kp: number, ks: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const k = vm.memory.read(kp, ks);
      if (!k) return R.InvalidMemoryAccess;
      const map = mutableMap(vm, type);
      if (!map) return R.BadArgument;
      const key = k.toString('latin1').toLowerCase();
      for (let i = map.length - 1; i >= 0; i--) if (map[i][0] === key) map.splice(i, 1);
      return R.Ok;
    },
    proxy_get_header_map_pairs(type: number, pp: number, sp: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const map = constMap(vm, type);
      if (!map || map.length === 0) return vm.memory.copyOut(new Uint8Array(0), pp, sp);
      return vm.memory.copyOut(encodePairs(map), pp, sp);
    },
    proxy_set_header_map_pairs(type: number, p: number, s: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const data = vm.memory.read(p, s);
      if (!data) return R.InvalidMemoryAccess;
      const map = mutableMap(vm, type);
      if (!map) return R.BadArgument;
      const pairs = decodePairs(data).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
      map.splice(0, map.length, ...pairs);
      return R.Ok;
    },
    proxy_get_header_map_size(type: number, rp: number) {
      if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
      const map = mutableMap(vm, type);
      if (!map) return R.BadArgument;
      const size = map.reduce((a, [k, v]) => a + k.length + v.length, 0); // HeaderMap::byteSize()
      return vm.memory.setU32(rp, size) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_buffer_status(type: number, lp: number, fp: number) {
      if (type > BUFFER_TYPE_MAX) return R.BadArgument;
      const b = bodyBuffer(vm, type);
      if (!b) return R.NotFound;
      if (!vm.memory.setU32(lp, b.get().length) || !vm.memory.setU32(fp, 0)) return R.InvalidMemoryAccess;
      return R.Ok;
    },
    proxy_get_buffer_bytes(type: number, start: number, length: number, pp: number, sp: number) {
      if (type > BUFFER_TYPE_MAX) return R.BadArgument;
      const b = bodyBuffer(vm, type);
      if (!b) return R.NotFound;
      const data = b.get();
      start = u32(start);
      length = u32(length);
      if (start + length > data.length) length = Math.max(0, data.length - start);
      if (length > 0) return vm.memory.copyOut(data.subarray(start, start + length), pp, sp);
      return R.Ok;
    },
    proxy_set_buffer_bytes(type: number, start: number, length: number, dp: number, ds: number) {
      if (type > BUFFER_TYPE_MAX) return R.BadArgument;
      const b = bodyBuffer(vm, type);
      if (!b) return R.NotFound;
      const data = vm.memory.read(dp, ds);
      if (!data) return R.InvalidMemoryAccess;
      if (!b.set) return R.BadArgument;
      const cur = b.get();
      start = u32(start);
      length = u32(length);
      // Envoy Buffer::copyFrom: prepend, replace all, or append.
      if (start === 0) {
        if (length === 0) b.set(Buffer.concat([data, cur]));
        else if (length >= cur.length) b.set(data);
        else return R.BadArgument;
      } else if (start >= cur.length) b.set(Buffer.concat([cur, data]));
      else return R.BadArgument;
      return R.Ok;
    },
  };
}
