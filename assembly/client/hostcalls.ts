// Host calls the client needs beyond assembly/host.ts: proxy_http_call with its call id, shared data
// with CAS, and the metrics sink. Glue: thin, trap-free (results are returned, never thrown).
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { WasmResultValues } from "@solo-io/proxy-runtime/assembly";
import { defineMetric, incrementMetric, recordMetric } from "../host";
import { MetricSink } from "./metrics";

/** metrics.ts's host side: the proxy-wasm metric calls of assembly/host.ts. */
export class HostMetricSink extends MetricSink {
  define(kind: i32, name: string): i64 { return defineMetric(kind, name); }
  increment(id: u32, delta: i64): i32 { return incrementMetric(id, delta); }
  record(id: u32, value: u64): i32 { return recordMetric(id, value); }
}

const scratchCallId = memory.data(4);
const scratchPtr = memory.data(8);
const scratchSize = memory.data(8);
const scratchCas = memory.data(4);

/** An empty header map (count 0), passed as the trailers of every call. */
const NO_TRAILERS = new ArrayBuffer(4);

export class CallResult {
  constructor(public result: i32, public callId: u32) {}
}

/** Starts an HTTP call to `cluster` (serialised headers must hold :method, :path, :authority). */
/** Dispatches a call with the `bodyLen` bytes at `bodyPtr` as its body (the host copies them before returning). */
export function httpCall(cluster: string, headerPairs: ArrayBuffer, bodyPtr: usize, bodyLen: usize, timeoutMs: u32): CallResult {
  const c = String.UTF8.encode(cluster);
  store<u32>(scratchCallId, 0);
  const r = imports.proxy_http_call(
    changetype<usize>(c), <usize>c.byteLength,
    changetype<usize>(headerPairs), <usize>headerPairs.byteLength,
    bodyPtr, bodyLen,
    changetype<usize>(NO_TRAILERS), <usize>NO_TRAILERS.byteLength,
    timeoutMs, scratchCallId);
  return new CallResult(<i32>r, load<u32>(scratchCallId));
}

export class SharedRead {
  /** WasmResult: Ok, NotFound, or an error. */
  result: i32 = 0;
  value: string = "";
  cas: u32 = 0;
}

export function getSharedData(key: string): SharedRead {
  const k = String.UTF8.encode(key);
  store<usize>(scratchPtr, 0);
  store<usize>(scratchSize, 0);
  store<u32>(scratchCas, 0);
  const out = new SharedRead();
  out.result = <i32>imports.proxy_get_shared_data(changetype<usize>(k), <usize>k.byteLength, scratchPtr, scratchSize, scratchCas);
  if (out.result != WasmResultValues.Ok) return out;
  out.cas = load<u32>(scratchCas);
  const ptr = load<usize>(scratchPtr);
  const size = load<usize>(scratchSize);
  store<usize>(scratchPtr, 0);
  store<usize>(scratchSize, 0);
  if (ptr != 0) {
    // The host allocated it through our exported malloc (pinned): copy it out, then let the GC have it.
    const buf = changetype<ArrayBuffer>(ptr);
    out.value = String.UTF8.decodeUnsafe(ptr, size < <usize>buf.byteLength ? size : <usize>buf.byteLength);
    __unpin(ptr);
  }
  return out;
}

/** Sets a shared value; `cas` 0 sets unconditionally, otherwise CasMismatch if it changed since read. */
export function setSharedData(key: string, value: string, cas: u32): i32 {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  return <i32>imports.proxy_set_shared_data(changetype<usize>(k), <usize>k.byteLength, changetype<usize>(v), <usize>v.byteLength, cas);
}

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function wasi_random_get(buf: usize, len: usize): u16;

const scratchRandom = memory.data(8);

/** 64 random bits from the host (WASI random_get), or 0 when it refuses. Seeds the jitter source. */
export function hostRandom64(): u64 {
  store<u64>(scratchRandom, 0);
  if (wasi_random_get(scratchRandom, 8) != 0) return 0;
  return load<u64>(scratchRandom);
}
