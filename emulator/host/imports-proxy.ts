// The env.proxy_* functions other than header maps and buffers: logging, status, properties, local
// replies, shared data and queues, http calls, ticks, time, metrics, contexts and stream control.
// Semantics follow proxy-wasm-cpp-host src/exports.cc and Envoy's context.cc.
import { LogLevel, MetricType, StreamType, WasmResult } from './abi.ts';
import type { CallerVm } from './caller-vm.ts';
import { u32 } from './guest-memory.ts';
import { decodePairs } from './pairs.ts';
import { getProperty } from './properties.ts';

export function proxyImports(vm: CallerVm): Record<string, (...a: any[]) => number> {
  const R = WasmResult;
  let nextCallId = 1;
  // Envoy's metric ids: the type in the low two bits, then a counter per type.
  const metricNames = new Map<number, string>();
  const nextMetricId = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram] as number[];
  return {
    proxy_log(level: number, ptr: number, size: number) {
      if (level < 0 || level > LogLevel.critical) return R.BadArgument;
      const msg = vm.memory.read(ptr, size);
      if (!msg) return R.InvalidMemoryAccess;
      vm.log(level, msg.toString('utf8'));
      return R.Ok;
    },
    proxy_get_log_level(ptr: number) {
      return vm.memory.setU32(ptr, LogLevel[vm.host.logLevel]) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_status(codePtr: number, msgPtrPtr: number, msgSizePtr: number) {
      const c = vm.context();
      const st = c?.status ?? { code: 0, message: '' };
      if (!vm.memory.setU32(codePtr, st.code)) return R.InvalidMemoryAccess;
      return vm.memory.copyOut(Buffer.from(st.message), msgPtrPtr, msgSizePtr);
    },
    proxy_set_property(kp: number, ks: number, vp: number, vs: number) {
      const k = vm.memory.read(kp, ks);
      const v = vm.memory.read(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      const s = vm.context()?.stream;
      if (!s) return R.NotFound;
      s.filterState.set(k.toString('latin1'), v);
      return R.Ok;
    },
    proxy_get_property(pp: number, ps: number, vpp: number, vsp: number) {
      const path = vm.memory.read(pp, ps);
      if (!path) return R.InvalidMemoryAccess;
      const parts = path.toString('latin1').split('\0');
      if (parts.length && parts[parts.length - 1] === '') parts.pop();
      const res = getProperty(vm.host.propertyEnv, vm.context()?.stream, parts);
      if (res.result !== R.Ok) return res.result;
      return vm.memory.copyOut(res.value!, vpp, vsp);
    },
    proxy_send_local_response(code: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, _grpc: number) {
      const details = vm.memory.read(dp, ds);
      const body = vm.memory.read(bp, bs);
      const hdrs = vm.memory.read(hp, hs);
      if (!details || !body || !hdrs) return R.InvalidMemoryAccess;
      const s = vm.context()?.stream;
      if (s && !s.completed) {
        s.pendingLocalReply = { status: code, body, headers: decodePairs(hdrs), details: details.toString('latin1') };
        vm.defer(s);
      }
      return R.Ok;
    },
    proxy_clear_route_cache() {
      return R.Ok;
    },
    proxy_get_shared_data(kp: number, ks: number, vpp: number, vsp: number, casPtr: number) {
      const k = vm.memory.read(kp, ks);
      if (!k) return R.InvalidMemoryAccess;
      const e = vm.host.sharedGet(k.toString('latin1'));
      if (!e) return R.NotFound;
      const r = vm.memory.copyOut(e.value, vpp, vsp);
      if (r !== R.Ok) return r;
      return vm.memory.setU32(casPtr, e.cas) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_shared_data(kp: number, ks: number, vp: number, vs: number, cas: number) {
      const k = vm.memory.read(kp, ks);
      const v = vm.memory.read(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      return vm.host.sharedSet(k.toString('latin1'), v, u32(cas));
    },
    proxy_register_shared_queue(np: number, ns: number, tokenPtr: number) {
      const n = vm.memory.read(np, ns);
      if (!n) return R.InvalidMemoryAccess;
      const token = vm.host.queueRegister(n.toString('latin1'), (t) => vm.deliverQueueReady(t));
      return vm.memory.setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue(vp: number, vs: number, np: number, ns: number, tokenPtr: number) {
      const v = vm.memory.read(vp, vs);
      const n = vm.memory.read(np, ns);
      if (!v || !n) return R.InvalidMemoryAccess;
      const token = vm.host.queueResolve(v.toString('latin1'), n.toString('latin1'));
      if (!token) return R.NotFound;
      return vm.memory.setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_dequeue_shared_queue(token: number, dpp: number, dsp: number) {
      const r = vm.host.queueDequeue(u32(token));
      if (typeof r === 'number') return r;
      return vm.memory.copyOut(r, dpp, dsp);
    },
    proxy_enqueue_shared_queue(token: number, dp: number, ds: number) {
      const d = vm.memory.read(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      return vm.host.queueEnqueue(u32(token), d);
    },
    proxy_http_call(up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number) {
      const uri = vm.memory.read(up, us);
      const body = vm.memory.read(bp, bs);
      const hdrs = vm.memory.read(hp, hs);
      const trls = vm.memory.read(tp, ts);
      if (!uri || !body || !hdrs || !trls) return R.InvalidMemoryAccess;
      if (!vm.memory.setU32(tokenPtr, 0)) return R.InvalidMemoryAccess;
      const t = u32(timeout);
      if (t > 0x7fffffff) return R.BadArgument;
      const cluster = uri.toString('latin1');
      if (!vm.host.hasCluster(cluster)) return R.BadArgument;
      const headers = decodePairs(hdrs).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
      const has = (n: string) => headers.some(([k]) => k === n);
      if (!has(':path') || !has(':method') || !has(':authority')) return R.BadArgument;
      const callId = nextCallId++;
      vm.host.startHttpCall(cluster, headers, body, decodePairs(trls), t, (r) => vm.deliverHttpCallResponse(callId, r));
      vm.memory.setU32(tokenPtr, callId);
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
      return vm.memory.setU64(rp, vm.host.nowNs()) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_define_metric(type: number, np: number, ns: number, idPtr: number) {
      if (u32(type) > MetricType.Histogram) return R.BadArgument;
      const n = vm.memory.read(np, ns);
      if (!n) return R.InvalidMemoryAccess;
      const id = nextMetricId[type];
      nextMetricId[type] += 4;
      const name = n.toString('utf8');
      if (!vm.host.metricDefine(name, type)) return R.BadArgument;
      metricNames.set(id, name);
      return vm.memory.setU32(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_increment_metric(id: number, offset: bigint | number) {
      const name = metricNames.get(u32(id));
      const type = u32(id) & 3;
      const off = BigInt(offset);
      if (type === MetricType.Histogram) return R.BadArgument;
      if (name === undefined || vm.host.metricUpdateRefused(name)) return R.NotFound;
      if (type === MetricType.Counter && off <= 0n) return R.BadArgument;
      vm.host.metricAdd(name, off);
      return R.Ok;
    },
    proxy_record_metric(id: number, value: bigint | number) {
      const name = metricNames.get(u32(id));
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
      const name = metricNames.get(u32(id));
      if (name === undefined) return R.NotFound;
      return vm.memory.setU64(rp, vm.host.metricGet(name)) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_effective_context(id: number) {
      return vm.setEffectiveContext(u32(id)) ? R.Ok : R.BadArgument;
    },
    proxy_done() {
      const c = vm.context();
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
      const s = vm.context()?.stream;
      if (s && !s.completed) {
        s.pendingContinue.add(t === StreamType.Request ? 'request' : 'response');
        vm.defer(s);
      }
      return R.Ok;
    },
    proxy_close_stream(type: number) {
      const t = u32(type);
      if (t > StreamType.Upstream) return R.BadArgument;
      const s = vm.context()?.stream;
      if (s && !s.completed && (t === StreamType.Request || t === StreamType.Response)) {
        s.pendingClose = true;
        vm.defer(s);
      }
      return R.Ok;
    },
  };
}
