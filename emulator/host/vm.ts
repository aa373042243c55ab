// One Wasm VM (one Envoy worker's instance of the module) and the host functions it imports.
// Host function semantics follow proxy-wasm-cpp-host src/exports.cc and Envoy's
// source/extensions/common/wasm/context.cc.
import { randomFillSync } from 'node:crypto';
import {
  BufferType, BUFFER_TYPE_MAX, ENVOY_PROXY_IMPORTS, ENVOY_WASI_IMPORTS, HEADER_MAP_TYPE_MAX, HeaderMapType,
  LOG_LEVEL_NAMES, LogLevel, MetricType, StreamType, WASI_MODULE, WasiErrno, WasmResult,
} from './abi.ts';
import type { HostContext } from './context.ts';
import type { HttpCallResponse } from './httpcall.ts';
import { decodePairs, encodePairs, type Pairs } from './pairs.ts';
import { getProperty } from './properties.ts';
import type { HostStream, StreamVm } from './stream.ts';

export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

interface ContextRec {
  id: number;
  isRoot: boolean;
  stream?: HostStream;
  status: { code: number; message: string };
}

/** Check a compiled module's imports against what Envoy provides. Returns the offending ones. */
export function disallowedImports(module: WebAssembly.Module): string[] {
  const bad: string[] = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    const ok =
      imp.kind === 'function' &&
      ((imp.module === 'env' && ENVOY_PROXY_IMPORTS.has(imp.name)) ||
        (imp.module === WASI_MODULE && ENVOY_WASI_IMPORTS.has(imp.name)));
    if (!ok) bad.push(`${imp.module}.${imp.name}`);
  }
  return bad;
}

const u32 = (v: number | bigint): number => Number(BigInt.asUintN(32, BigInt(v)));

/** Envoy's HeaderMapImpl: pseudo headers (`:name`) stay before the others; the rest is appended. */
function insertHeader(map: Pairs, key: string, value: string): void {
  if (!key.startsWith(':')) { map.push([key, value]); return; }
  let i = 0;
  while (i < map.length && map[i][0].startsWith(':')) i++;
  map.splice(i, 0, [key, value]);
}

export class WasmVm implements StreamVm {
  instance!: WebAssembly.Instance;
  exports!: Record<string, any>;
  failed = false;
  failure?: string;
  rootContextId = 0;
  private nextContextId = 1;
  readonly contexts = new Map<number, ContextRec>();
  private currentContextId = 0;
  private effectiveContextId = 0;
  private callDepth = 0;
  /** Plugin configuration, visible as buffer 7 only during proxy_on_configure. */
  configuring: Buffer | null = null;
  /** http_call response, visible as header map 6/7 and buffer 4 only during its callback. */
  httpCallResponse: HttpCallResponse | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private tickPeriod = 0;
  private deferredStreams = new Set<HostStream>();
  private nextHttpCallId = 1;
  private metricIds = new Map<number, string>();
  private nextMetric = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram] as number[];
  rootDonePending = false;
  streamsOpen = 0;

  constructor(readonly host: HostContext, readonly index: number) {}

  // ---- lifecycle ----------------------------------------------------------------------------

  instantiate(module: WebAssembly.Module): void {
    this.instance = new WebAssembly.Instance(module, this.imports());
    this.exports = this.instance.exports as Record<string, any>;
    const abi = ['proxy_abi_version_0_2_1', 'proxy_abi_version_0_2_0'].find((n) => typeof this.exports[n] === 'function');
    if (!abi) throw new Error('Wasm module is missing the Proxy-Wasm ABI version (proxy_abi_version_0_2_1)');
    if (!(this.exports.memory instanceof WebAssembly.Memory)) throw new Error('Wasm module does not export its memory');
    if (typeof this.exports.malloc !== 'function' && typeof this.exports.proxy_on_memory_allocate !== 'function') {
      throw new Error('Wasm module is missing malloc function.');
    }
    for (const start of ['_initialize', '_start']) {
      if (typeof this.exports[start] === 'function') {
        this.call(start, 0);
        if (this.failed) throw new Error(`Wasm VM failed in ${start}: ${this.failure}`);
        break;
      }
    }
  }

  /** Create the root context, proxy_on_vm_start, proxy_on_configure. Throws on failure. */
  start(config: Buffer): void {
    const id = this.nextContextId++;
    this.rootContextId = id;
    this.contexts.set(id, { id, isRoot: true, status: { code: 0, message: '' } });
    this.call('proxy_on_context_create', id, id, 0);
    const started = this.call('proxy_on_vm_start', id, id, this.host.vmConfig.length);
    if (this.failed) throw new Error(`Failed to start base Wasm: ${this.failure}`);
    if (started === 0) throw new Error('Failed to start base Wasm (proxy_on_vm_start returned false)');
    this.configuring = config;
    const configured = this.call('proxy_on_configure', id, id, config.length);
    this.configuring = null;
    this.flushAfterCall();
    if (this.failed) throw new Error(`Failed to configure base Wasm plugin: ${this.failure}`);
    if (configured === 0) throw new Error('Failed to configure base Wasm plugin (proxy_on_configure returned false)');
  }

  /** Shut down: proxy_on_done on the root context, then proxy_on_delete. */
  shutdown(): void {
    this.clearTick();
    if (this.failed || !this.rootContextId) return;
    const done = this.call('proxy_on_done', this.rootContextId, this.rootContextId);
    if (done !== 0 || this.failed) {
      this.call('proxy_on_delete', this.rootContextId, this.rootContextId);
    } else {
      this.rootDonePending = true;
      this.call('proxy_on_delete', this.rootContextId, this.rootContextId);
    }
    this.flushAfterCall();
  }

  createStreamContext(stream: HostStream): number {
    const id = this.nextContextId++;
    this.contexts.set(id, { id, isRoot: false, stream, status: { code: 0, message: '' } });
    this.streamsOpen++;
    this.call('proxy_on_context_create', id, id, this.rootContextId);
    return id;
  }

  dropStream(stream: HostStream): void {
    if (stream.contextId && this.contexts.get(stream.contextId)?.stream === stream) {
      this.contexts.delete(stream.contextId);
      this.streamsOpen--;
    }
    this.deferredStreams.delete(stream);
  }

  /**
   * Call an export. Any exception (trap, proc_exit, host error) marks the VM failed, as Envoy
   * does: the VM is never called again.
   */
  call(name: string, contextId: number, ...args: number[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.exports[name];
    if (typeof fn !== 'function') return undefined;
    const savedCurrent = this.currentContextId;
    const savedEffective = this.effectiveContextId;
    this.currentContextId = contextId;
    this.effectiveContextId = 0;
    this.callDepth++;
    try {
      const r = fn(...args);
      return r === undefined ? 0 : Number(r);
    } catch (e) {
      this.fail(name, e);
      return undefined;
    } finally {
      this.callDepth--;
      this.currentContextId = savedCurrent;
      this.effectiveContextId = savedEffective;
    }
  }

  /** Run actions the module asked for during a call (continue_stream, local replies...). */
  flushAfterCall(): void {
    if (this.callDepth > 0) return;
    while (this.deferredStreams.size) {
      const streams = [...this.deferredStreams];
      this.deferredStreams.clear();
      for (const s of streams) s.runDeferred();
    }
  }

  fail(where: string, e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const msg = e instanceof ProcExit ? `wasi proc_exit(${e.code})` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.failure = `${where}: ${msg}`;
    this.clearTick();
    this.host.hostLog('critical', `Function: ${where} failed: Uncaught ${msg}`, this.index);
  }

  // ---- ticks --------------------------------------------------------------------------------

  /**
   * As Envoy's Wasm::tickHandler: one timer per root context, re-armed with the current period
   * after each proxy_on_tick returns (so the period runs from the end of a tick, not at a fixed
   * rate); a period set to 0 (also from inside on_tick) stops it.
   */
  setTickPeriod(ms: number): void {
    this.clearTick();
    this.tickPeriod = ms;
    if (ms > 0) this.armTick(ms);
  }
  private armTick(ms: number): void {
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      if (this.failed) return;
      this.call('proxy_on_tick', this.rootContextId, this.rootContextId);
      this.flushAfterCall();
      // on_tick may have set a new period (and armed it) or stopped the timer.
      if (!this.failed && !this.tickTimer && this.tickPeriod > 0) this.armTick(this.tickPeriod);
    }, ms);
    this.tickTimer.unref();
  }
  clearTick(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.tickPeriod = 0;
  }

  deliverHttpCallResponse(callId: number, response: HttpCallResponse | null): void {
    if (this.failed) return;
    const root = this.contexts.get(this.rootContextId);
    if (!root) return;
    // A reset (no response): no header map (BadArgument) and no body buffer (NotFound), status
    // BrokenConnection "reset". Envoy never sets the code back: a later successful call's callback
    // still reads BrokenConnection (with an empty message) from proxy_get_status.
    this.httpCallResponse = response;
    root.status = response ? { code: root.status.code, message: '' } : { code: WasmResult.BrokenConnection, message: 'reset' };
    this.call(
      'proxy_on_http_call_response', root.id, root.id, callId,
      response?.headers.length ?? 0, response?.body.length ?? 0, response?.trailers.length ?? 0,
    );
    this.httpCallResponse = null;
    root.status = { code: root.status.code, message: '' };
    this.flushAfterCall();
  }

  deliverQueueReady(token: number): void {
    if (this.failed || !this.rootContextId) return;
    this.call('proxy_on_queue_ready', this.rootContextId, this.rootContextId, token);
    this.flushAfterCall();
  }

  // ---- memory helpers -----------------------------------------------------------------------

  private get memory(): WebAssembly.Memory {
    return this.exports.memory as WebAssembly.Memory;
  }
  private bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
  read(ptr: number, size: number): Buffer | null {
    ptr = u32(ptr);
    size = u32(size);
    const mem = this.bytes();
    if (ptr + size > mem.length) return null;
    return Buffer.from(mem.slice(ptr, ptr + size));
  }
  private write(ptr: number, data: Uint8Array): boolean {
    ptr = u32(ptr);
    const mem = this.bytes();
    if (ptr + data.length > mem.length) return false;
    mem.set(data, ptr);
    return true;
  }
  private setU32(ptr: number, v: number): boolean {
    ptr = u32(ptr);
    const buf = this.memory.buffer;
    if (ptr + 4 > buf.byteLength) return false;
    new DataView(buf).setUint32(ptr, v >>> 0, true);
    return true;
  }
  private setU64(ptr: number, v: bigint): boolean {
    ptr = u32(ptr);
    const buf = this.memory.buffer;
    if (ptr + 8 > buf.byteLength) return false;
    new DataView(buf).setBigUint64(ptr, BigInt.asUintN(64, v), true);
    return true;
  }
  private alloc(size: number): number {
    const fn = this.exports.malloc ?? this.exports.proxy_on_memory_allocate;
    return u32(fn(size));
  }
  /** proxy-wasm copyToPointerSize: malloc in the VM, copy, store pointer and size. */
  private copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): number {
    let p = 0;
    if (data.length > 0) {
      p = this.alloc(data.length);
      if (p === 0 || !this.write(p, data)) return WasmResult.InvalidMemoryAccess;
    }
    if (!this.setU32(ptrPtr, p) || !this.setU32(sizePtr, data.length)) return WasmResult.InvalidMemoryAccess;
    return WasmResult.Ok;
  }

  // ---- context resolution -------------------------------------------------------------------

  private ctx(): ContextRec | undefined {
    if (this.effectiveContextId) {
      const c = this.contexts.get(this.effectiveContextId);
      if (c) return c;
    }
    return this.contexts.get(this.currentContextId);
  }
  private stream(): HostStream | undefined {
    return this.ctx()?.stream;
  }

  /** Header map for reading (Envoy getConstMap). */
  private constMap(type: number): Pairs | null {
    if (type === HeaderMapType.HttpCallResponseHeaders) return this.httpCallResponse?.headers ?? null;
    if (type === HeaderMapType.HttpCallResponseTrailers) return this.httpCallResponse?.trailers ?? null;
    const s = this.stream();
    if (!s) return null;
    if (s.accessLogPhase) {
      if (type === HeaderMapType.RequestHeaders) return s.request.map;
      if (type === HeaderMapType.ResponseHeaders) return s.response.map;
      if (type === HeaderMapType.ResponseTrailers) return s.response.trailers;
      return null;
    }
    return this.mutableMap(type);
  }
  /** Header map for writing (Envoy getMap): only the map of the current phase. */
  private mutableMap(type: number): Pairs | null {
    const s = this.stream();
    if (!s || s.accessLogPhase) return null;
    switch (type) {
      case HeaderMapType.RequestHeaders: return s.request.mapVisible ? s.request.map : null;
      case HeaderMapType.RequestTrailers: return s.request.trailersVisible ? s.request.trailers : null;
      case HeaderMapType.ResponseHeaders: return s.response.mapVisible ? s.response.map : null;
      case HeaderMapType.ResponseTrailers: return s.response.trailersVisible ? s.response.trailers : null;
      default: return null;
    }
  }

  private bodyBuffer(type: number): { get: () => Buffer; set?: (b: Buffer) => void } | null {
    const empty = Buffer.alloc(0);
    switch (type) {
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody: {
        const s = this.stream();
        const d = s && !s.accessLogPhase ? (type === BufferType.HttpRequestBody ? s.request : s.response) : undefined;
        if (!d || !d.bodyVisible || !d.body) return { get: () => empty };
        return { get: () => d.body ?? empty, set: (b) => { d.body = b; } };
      }
      case BufferType.HttpCallResponseBody:
        return this.httpCallResponse ? { get: () => this.httpCallResponse!.body } : null;
      case BufferType.VmConfiguration: return { get: () => this.host.vmConfig };
      case BufferType.PluginConfiguration: return this.configuring ? { get: () => this.configuring! } : null;
      case BufferType.NetworkDownstreamData:
      case BufferType.NetworkUpstreamData:
      case BufferType.GrpcReceiveBuffer:
      case BufferType.CallData:
        return { get: () => empty };
      default: return null;
    }
  }

  private log(level: number, message: string): void {
    const c = this.ctx();
    this.host.wasmLog(LOG_LEVEL_NAMES[level], message, this.index, !c ? 'vm' : c.isRoot ? 'root' : 'stream');
  }

  // ---- imports ------------------------------------------------------------------------------

  private imports(): WebAssembly.Imports {
    const vm = this;
    const R = WasmResult;
    const env: Record<string, (...a: any[]) => any> = {
      proxy_log(level: number, ptr: number, size: number) {
        if (level < 0 || level > LogLevel.critical) return R.BadArgument;
        const msg = vm.read(ptr, size);
        if (!msg) return R.InvalidMemoryAccess;
        vm.log(level, msg.toString('utf8'));
        return R.Ok;
      },
      proxy_get_log_level(ptr: number) {
        return vm.setU32(ptr, LogLevel[vm.host.logLevel]) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_get_status(codePtr: number, msgPtrPtr: number, msgSizePtr: number) {
        const c = vm.ctx();
        const st = c?.status ?? { code: 0, message: '' };
        if (!vm.setU32(codePtr, st.code)) return R.InvalidMemoryAccess;
        return vm.copyOut(Buffer.from(st.message), msgPtrPtr, msgSizePtr);
      },
      proxy_set_property(kp: number, ks: number, vp: number, vs: number) {
        const k = vm.read(kp, ks);
        const v = vm.read(vp, vs);
        if (!k || !v) return R.InvalidMemoryAccess;
        const s = vm.stream();
        if (!s) return R.NotFound;
        s.filterState.set(k.toString('latin1'), v);
        return R.Ok;
      },
      proxy_get_property(pp: number, ps: number, vpp: number, vsp: number) {
        const path = vm.read(pp, ps);
        if (!path) return R.InvalidMemoryAccess;
        const parts = path.toString('latin1').split('\0');
        if (parts.length && parts[parts.length - 1] === '') parts.pop();
        const res = getProperty(vm.host.propertyEnv, vm.stream(), parts);
        if (res.result !== R.Ok) return res.result;
        return vm.copyOut(res.value!, vpp, vsp);
      },
      proxy_send_local_response(code: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, _grpc: number) {
        const details = vm.read(dp, ds);
        const body = vm.read(bp, bs);
        const hdrs = vm.read(hp, hs);
        if (!details || !body || !hdrs) return R.InvalidMemoryAccess;
        const s = vm.stream();
        if (s && !s.completed) {
          s.pendingLocalReply = { status: code, body, headers: decodePairs(hdrs), details: details.toString('latin1') };
          vm.deferredStreams.add(s);
        }
        return R.Ok;
      },
      proxy_clear_route_cache() {
        return R.Ok;
      },
      proxy_get_shared_data(kp: number, ks: number, vpp: number, vsp: number, casPtr: number) {
        const k = vm.read(kp, ks);
        if (!k) return R.InvalidMemoryAccess;
        const e = vm.host.sharedGet(k.toString('latin1'));
        if (!e) return R.NotFound;
        const r = vm.copyOut(e.value, vpp, vsp);
        if (r !== R.Ok) return r;
        return vm.setU32(casPtr, e.cas) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_shared_data(kp: number, ks: number, vp: number, vs: number, cas: number) {
        const k = vm.read(kp, ks);
        const v = vm.read(vp, vs);
        if (!k || !v) return R.InvalidMemoryAccess;
        return vm.host.sharedSet(k.toString('latin1'), v, u32(cas));
      },
      proxy_register_shared_queue(np: number, ns: number, tokenPtr: number) {
        const n = vm.read(np, ns);
        if (!n) return R.InvalidMemoryAccess;
        const token = vm.host.queueRegister(n.toString('latin1'), (t) => vm.deliverQueueReady(t));
        return vm.setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_resolve_shared_queue(vp: number, vs: number, np: number, ns: number, tokenPtr: number) {
        const v = vm.read(vp, vs);
        const n = vm.read(np, ns);
        if (!v || !n) return R.InvalidMemoryAccess;
        const token = vm.host.queueResolve(v.toString('latin1'), n.toString('latin1'));
        if (!token) return R.NotFound;
        return vm.setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_dequeue_shared_queue(token: number, dpp: number, dsp: number) {
        const r = vm.host.queueDequeue(u32(token));
        if (typeof r === 'number') return r;
        return vm.copyOut(r, dpp, dsp);
      },
      proxy_enqueue_shared_queue(token: number, dp: number, ds: number) {
        const d = vm.read(dp, ds);
        if (!d) return R.InvalidMemoryAccess;
        return vm.host.queueEnqueue(u32(token), d);
      },
      proxy_get_header_map_value(type: number, kp: number, ks: number, vpp: number, vsp: number) {
        if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
        const k = vm.read(kp, ks);
        if (!k) return R.InvalidMemoryAccess;
        const map = vm.constMap(type);
        if (!map) return vm.stream()?.accessLogPhase ? R.NotFound : R.BadArgument;
        const key = k.toString('latin1').toLowerCase();
        const e = map.find(([n]) => n === key);
        if (!e) return R.NotFound;
        return vm.copyOut(Buffer.from(e[1], 'latin1'), vpp, vsp);
      },
      proxy_add_header_map_value(type: number, kp: number, ks: number, vp: number, vs: number) {
        if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
        const k = vm.read(kp, ks);
        const v = vm.read(vp, vs);
        if (!k || !v) return R.InvalidMemoryAccess;
        const map = vm.mutableMap(type);
        if (!map) return R.BadArgument;
        insertHeader(map, k.toString('latin1').toLowerCase(), v.toString('latin1'));
        return R.Ok;
      },
      proxy_replace_header_map_value(type: number, kp: number, ks: number, vp: number, vs: number) {
        if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
        const k = vm.read(kp, ks);
        const v = vm.read(vp, vs);
        if (!k || !v) return R.InvalidMemoryAccess;
        const map = vm.mutableMap(type);
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
        const k = vm.read(kp, ks);
        if (!k) return R.InvalidMemoryAccess;
        const map = vm.mutableMap(type);
        if (!map) return R.BadArgument;
        const key = k.toString('latin1').toLowerCase();
        for (let i = map.length - 1; i >= 0; i--) if (map[i][0] === key) map.splice(i, 1);
        return R.Ok;
      },
      proxy_get_header_map_pairs(type: number, pp: number, sp: number) {
        if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
        const map = vm.constMap(type);
        if (!map || map.length === 0) return vm.copyOut(new Uint8Array(0), pp, sp);
        return vm.copyOut(encodePairs(map), pp, sp);
      },
      proxy_set_header_map_pairs(type: number, p: number, s: number) {
        if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
        const data = vm.read(p, s);
        if (!data) return R.InvalidMemoryAccess;
        const map = vm.mutableMap(type);
        if (!map) return R.BadArgument;
        const pairs = decodePairs(data).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
        map.splice(0, map.length, ...pairs);
        return R.Ok;
      },
      proxy_get_header_map_size(type: number, rp: number) {
        if (type > HEADER_MAP_TYPE_MAX) return R.BadArgument;
        const map = vm.mutableMap(type);
        if (!map) return R.BadArgument;
        const size = map.reduce((a, [k, v]) => a + k.length + v.length, 0); // HeaderMap::byteSize()
        return vm.setU32(rp, size) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_get_buffer_status(type: number, lp: number, fp: number) {
        if (type > BUFFER_TYPE_MAX) return R.BadArgument;
        const b = vm.bodyBuffer(type);
        if (!b) return R.NotFound;
        if (!vm.setU32(lp, b.get().length) || !vm.setU32(fp, 0)) return R.InvalidMemoryAccess;
        return R.Ok;
      },
      proxy_get_buffer_bytes(type: number, start: number, length: number, pp: number, sp: number) {
        if (type > BUFFER_TYPE_MAX) return R.BadArgument;
        const b = vm.bodyBuffer(type);
        if (!b) return R.NotFound;
        const data = b.get();
        start = u32(start);
        length = u32(length);
        if (start + length > data.length) length = Math.max(0, data.length - start);
        if (length > 0) return vm.copyOut(data.subarray(start, start + length), pp, sp);
        return R.Ok;
      },
      proxy_set_buffer_bytes(type: number, start: number, length: number, dp: number, ds: number) {
        if (type > BUFFER_TYPE_MAX) return R.BadArgument;
        const b = vm.bodyBuffer(type);
        if (!b) return R.NotFound;
        const data = vm.read(dp, ds);
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
      proxy_http_call(up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number) {
        const uri = vm.read(up, us);
        const body = vm.read(bp, bs);
        const hdrs = vm.read(hp, hs);
        const trls = vm.read(tp, ts);
        if (!uri || !body || !hdrs || !trls) return R.InvalidMemoryAccess;
        if (!vm.setU32(tokenPtr, 0)) return R.InvalidMemoryAccess;
        const t = u32(timeout);
        if (t > 0x7fffffff) return R.BadArgument;
        const cluster = uri.toString('latin1');
        if (!vm.host.hasCluster(cluster)) return R.BadArgument;
        const headers = decodePairs(hdrs).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
        const has = (n: string) => headers.some(([k]) => k === n);
        if (!has(':path') || !has(':method') || !has(':authority')) return R.BadArgument;
        const callId = vm.nextHttpCallId++;
        vm.host.startHttpCall(cluster, headers, body, decodePairs(trls), t, (r) => vm.deliverHttpCallResponse(callId, r));
        vm.setU32(tokenPtr, callId);
        return R.Ok;
      },
      proxy_grpc_call() { return R.Unimplemented; },
      proxy_grpc_stream() { return R.Unimplemented; },
      proxy_grpc_cancel() { return R.NotFound; },
      proxy_grpc_close() { return R.NotFound; },
      proxy_grpc_send() { return R.NotFound; },
      proxy_set_tick_period_milliseconds(ms: number) {
        vm.setTickPeriod(u32(ms));
        return R.Ok;
      },
      proxy_get_current_time_nanoseconds(rp: number) {
        return vm.setU64(rp, vm.host.nowNs()) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_define_metric(type: number, np: number, ns: number, idPtr: number) {
        if (u32(type) > MetricType.Histogram) return R.BadArgument;
        const n = vm.read(np, ns);
        if (!n) return R.InvalidMemoryAccess;
        const id = vm.nextMetric[type];
        vm.nextMetric[type] += 4;
        const name = n.toString('utf8');
        if (!vm.host.metricDefine(name, type)) return R.BadArgument;
        vm.metricIds.set(id, name);
        return vm.setU32(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_increment_metric(id: number, offset: bigint | number) {
        const name = vm.metricIds.get(u32(id));
        const type = u32(id) & 3;
        const off = BigInt(offset);
        if (type === MetricType.Histogram) return R.BadArgument;
        if (name === undefined || vm.host.metricUpdateRefused(name)) return R.NotFound;
        if (type === MetricType.Counter && off <= 0n) return R.BadArgument;
        vm.host.metricAdd(name, off);
        return R.Ok;
      },
      proxy_record_metric(id: number, value: bigint | number) {
        const name = vm.metricIds.get(u32(id));
        if (name === undefined || vm.host.metricUpdateRefused(name)) return R.NotFound;
        const type = u32(id) & 3;
        const v = BigInt.asUintN(64, BigInt(value));
        // As Envoy: record on a counter adds, on a gauge sets, on a histogram adds a sample.
        if (type === MetricType.Counter) vm.host.metricAdd(name, v);
        else if (type === MetricType.Histogram) vm.host.metricRecord(name, v);
        else vm.host.metricSet(name, v);
        return R.Ok;
      },
      proxy_get_metric(id: number, rp: number) {
        const type = u32(id) & 3;
        if (type === MetricType.Histogram) return R.BadArgument;
        const name = vm.metricIds.get(u32(id));
        if (name === undefined) return R.NotFound;
        return vm.setU64(rp, vm.host.metricGet(name)) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_effective_context(id: number) {
        const cid = u32(id);
        if (!vm.contexts.has(cid)) return R.BadArgument;
        vm.effectiveContextId = cid;
        return R.Ok;
      },
      proxy_done() {
        const c = vm.ctx();
        if (c?.isRoot && vm.rootDonePending) {
          vm.rootDonePending = false;
          return R.Ok;
        }
        return R.NotFound;
      },
      proxy_call_foreign_function() {
        return R.NotFound;
      },
      proxy_continue_stream(type: number) {
        const t = u32(type);
        if (t !== StreamType.Request && t !== StreamType.Response) return R.BadArgument;
        const s = vm.stream();
        if (s && !s.completed) {
          s.pendingContinue.add(t === StreamType.Request ? 'request' : 'response');
          vm.deferredStreams.add(s);
        }
        return R.Ok;
      },
      proxy_close_stream(type: number) {
        const t = u32(type);
        if (t > StreamType.Upstream) return R.BadArgument;
        const s = vm.stream();
        if (s && !s.completed && (t === StreamType.Request || t === StreamType.Response)) {
          s.pendingClose = true;
          vm.deferredStreams.add(s);
        }
        return R.Ok;
      },
    };
    // Only provide what Envoy provides (the allow-list was checked before instantiation).
    for (const k of Object.keys(env)) if (!ENVOY_PROXY_IMPORTS.has(k)) delete env[k];

    const E = WasiErrno;
    const wasi: Record<string, (...a: any[]) => any> = {
      fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) {
        let level: number;
        if (fd === 1) level = LogLevel.info;
        else if (fd === 2) level = LogLevel.error;
        else return E.BADF;
        const parts: Buffer[] = [];
        for (let i = 0; i < iovsLen; i++) {
          const iov = vm.read(iovs + i * 8, 8);
          if (!iov) return E.FAULT;
          const ptr = iov.readUInt32LE(0);
          const len = iov.readUInt32LE(4);
          if (len) {
            const b = vm.read(ptr, len);
            if (!b) return E.FAULT;
            parts.push(b);
          }
        }
        let s = Buffer.concat(parts).toString('utf8');
        const written = parts.reduce((a, b) => a + b.length, 0);
        if (written) {
          if (s.endsWith('\n')) s = s.slice(0, -1);
          vm.log(level, s);
        }
        return vm.setU32(nwrittenPtr, written) ? E.SUCCESS : E.FAULT;
      },
      fd_read() { return E.NOSYS; },
      fd_seek() { return E.BADF; },
      fd_close() { return E.SUCCESS; },
      fd_fdstat_get(fd: number, statPtr: number) {
        if (fd !== 1 && fd !== 2) return E.BADF;
        const st = Buffer.alloc(24);
        st.writeBigUInt64LE(64n, 8); // fs_rights_base = FD_WRITE
        return vm.write(statPtr, st) ? E.SUCCESS : E.FAULT;
      },
      path_open() { return E.BADF; },
      fd_prestat_get() { return E.BADF; },
      fd_prestat_dir_name() { return E.BADF; },
      environ_sizes_get(countPtr: number, sizePtr: number) {
        return vm.setU32(countPtr, 0) && vm.setU32(sizePtr, 0) ? E.SUCCESS : E.FAULT;
      },
      environ_get() { return E.SUCCESS; },
      args_sizes_get(argcPtr: number, sizePtr: number) {
        return vm.setU32(argcPtr, 0) && vm.setU32(sizePtr, 0) ? E.SUCCESS : E.FAULT;
      },
      args_get() { return E.SUCCESS; },
      clock_time_get(id: number, _precision: bigint, resultPtr: number) {
        let t: bigint;
        if (id === 0) t = vm.host.nowNs();
        else if (id === 1) t = process.hrtime.bigint();
        else return E.NOTSUP;
        return vm.setU64(resultPtr, t) ? E.SUCCESS : E.FAULT;
      },
      random_get(ptr: number, len: number) {
        const b = randomFillSync(Buffer.alloc(u32(len)));
        return vm.write(ptr, b) ? E.SUCCESS : E.FAULT;
      },
      proc_exit(code: number) {
        throw new ProcExit(code);
      },
    };
    return { env, [WASI_MODULE]: wasi };
  }
}
