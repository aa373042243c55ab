// Thin, trap-free wrappers over the proxy-wasm host calls the policy uses. The SDK's own helpers
// throw (and so trap the VM) on any non-Ok result; these return null or 0 instead.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { WasmResultValues } from "@solo-io/proxy-runtime/assembly";
import { RawBytes } from "./raw-bytes";
import { Arena } from "./arena";
import { captureArena } from "./capture/budget";
import { Utf8, utf8Bytes, utf8Length } from "./literals";

// Scratch cells the host writes results into (pointer + size, or a 64-bit number).
const scratchPtr = memory.data(8);
const scratchSize = memory.data(8);
const scratchU64 = memory.data(8);

/** Takes ownership of a buffer the host allocated through our exported malloc. */
function takeHostBuffer(): ArrayBuffer | null {
  const ptr = load<usize>(scratchPtr);
  const size = load<usize>(scratchSize);
  store<usize>(scratchPtr, 0);
  store<usize>(scratchSize, 0);
  if (ptr == 0) return size == 0 ? new ArrayBuffer(0) : null;
  const buf = changetype<ArrayBuffer>(ptr);
  __unpin(ptr); // malloc pinned it; from here the GC owns it through `buf`
  return buf;
}

// The module's malloc export (proxy_on_memory_allocate), which the host calls to return data. Normally a
// pinned managed ArrayBuffer (takeHostBuffer unpins it); for the large reads below (header maps, body
// chunks) a block of the capture arena that the caller owns and frees (raw-bytes.ts). When the arena has
// no room, malloc answers 0 and the host fails the read (the stream is then not captured, and counted).
let rawNext = false;
let rawArena: Arena | null = null;

export function malloc(size: i32): usize {
  if (rawNext) {
    rawNext = false;
    const a = captureArena();
    rawArena = a;
    if (a != null) return a.alloc(size > 0 ? size : 0);
    return heap.alloc(size > 0 ? <usize>size : 0);
  }
  return __pin(changetype<usize>(new ArrayBuffer(size)));
}

/** Releases what malloc pinned (hosts do not call it; kept for the ABI). */
export function free(ptr: usize): void {
  __unpin(ptr);
}

/** Takes ownership of a block the host allocated through malloc in raw mode (null when none came). */
function takeRawBuffer(): RawBytes | null {
  rawNext = false;
  const ptr = load<usize>(scratchPtr);
  const size = load<usize>(scratchSize);
  store<usize>(scratchPtr, 0);
  store<usize>(scratchSize, 0);
  if (ptr == 0) return size == 0 ? new RawBytes() : null;
  return RawBytes.adopt(ptr, <i32>size, rawArena);
}

function prepare(): void {
  store<usize>(scratchPtr, 0);
  store<usize>(scratchSize, 0);
}

/** Wall-clock time in nanoseconds since the Unix epoch, or 0 if the host refuses. */
export function nowNanos(): u64 {
  store<u64>(scratchU64, 0);
  if (imports.proxy_get_current_time_nanoseconds(scratchU64) != WasmResultValues.Ok) return 0;
  return load<u64>(scratchU64);
}

export function nowMillis(): i64 {
  return <i64>(nowNanos() / 1000000);
}

/** A property's raw bytes (path segments separated by NUL), or null when it is not available. */
export function getPropertyBytes(path: Utf8): ArrayBuffer | null {
  prepare();
  if (imports.proxy_get_property(utf8Bytes(path), utf8Length(path), scratchPtr, scratchSize) != WasmResultValues.Ok) return null;
  return takeHostBuffer();
}

/** Bytes [start, start+length) of a host buffer (body, call response, configuration), or null. */
export function getBufferBytes(bufferType: i32, start: u32, length: u32): ArrayBuffer | null {
  prepare();
  if (imports.proxy_get_buffer_bytes(bufferType, start, length, scratchPtr, scratchSize) != WasmResultValues.Ok) return null;
  return takeHostBuffer();
}

/** Same, into an unmanaged block the caller owns (frees). */
export function getBufferRaw(bufferType: i32, start: u32, length: u32): RawBytes | null {
  prepare();
  rawNext = true;
  if (imports.proxy_get_buffer_bytes(bufferType, start, length, scratchPtr, scratchSize) != WasmResultValues.Ok) {
    const r = takeRawBuffer();
    if (r != null) r.free();
    return null;
  }
  return takeRawBuffer();
}

/** Bytes of a header map's names and values (Envoy's HeaderMap::byteSize), or -1 when the host refuses. */
export function getHeaderMapSize(mapType: i32): i64 {
  store<u32>(scratchSize, 0);
  if (imports.proxy_get_header_map_size(mapType, scratchSize) != WasmResultValues.Ok) return -1;
  return <i64>load<u32>(scratchSize);
}

/** A header map in the proxy-wasm pairs encoding, in a block of the capture region the caller owns (frees), or null. */
export function getHeaderPairsRaw(mapType: i32): RawBytes | null {
  prepare();
  rawNext = true;
  if (imports.proxy_get_header_map_pairs(mapType, scratchPtr, scratchSize) != WasmResultValues.Ok) {
    const r = takeRawBuffer();
    if (r != null) r.free();
    return null;
  }
  return takeRawBuffer();
}

/** One header's value, or null when absent. */
export function getHeaderValue(mapType: i32, name: Utf8): ArrayBuffer | null {
  prepare();
  if (imports.proxy_get_header_map_value(mapType, utf8Bytes(name), utf8Length(name), scratchPtr, scratchSize) != WasmResultValues.Ok) return null;
  return takeHostBuffer();
}

export function setTickPeriodMillis(ms: u32): bool {
  return imports.proxy_set_tick_period_milliseconds(ms) == WasmResultValues.Ok;
}

// ---- metrics (proxy_define_metric / proxy_increment_metric / proxy_record_metric) ----
// The only place the policy calls the metric imports (assembly/client/metrics.ts decides what and when).

const scratchMetricId = memory.data(4);

/** Defines a metric (kind: 0 counter, 1 gauge, 2 histogram): the host's id, or the negated WasmResult when refused. */
export function defineMetric(kind: i32, name: string): i64 {
  const n = String.UTF8.encode(name);
  store<u32>(scratchMetricId, 0);
  const r = <i32>imports.proxy_define_metric(kind, changetype<usize>(n), <usize>n.byteLength, scratchMetricId);
  if (r != WasmResultValues.Ok) return r > 0 ? -<i64>r : -1;
  return <i64>load<u32>(scratchMetricId);
}

/** Adds `delta` to a counter (> 0 only) or a gauge (either sign). Returns the WasmResult. */
export function incrementMetric(id: u32, delta: i64): i32 {
  return <i32>imports.proxy_increment_metric(id, delta);
}

/** Records a histogram sample (or sets a gauge). Returns the WasmResult. */
export function recordMetric(id: u32, value: u64): i32 {
  return <i32>imports.proxy_record_metric(id, value);
}

