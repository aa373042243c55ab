// Test-only entry: exposes the pure transaction serialiser (and the body capture it reads) to Node, so
// tests/capture/transaction-format.test.ts can drive it with random inputs and validate the output
// against schema/transaction.schema.json. Not part of the policy module.
import { CapturedExchange, SourceInfo, writeTransactionInto, prepareTransaction } from "../../../assembly/capture/transaction";
import { transactionSize } from "../../../assembly/capture/transaction-size";
import { RawBytes } from "../../../assembly/raw-bytes";
import { BodyCapture } from "../../../assembly/capture/body";
import { CaptureControls } from "../../../assembly/capture/controls";
import { parseConfig } from "../../../assembly/config/config";
import { checkJson } from "../../../assembly/config/json";

let x = new CapturedExchange();
let src = new SourceInfo();
let controls: CaptureControls | null = null;

/** Capture controls from a policy configuration (JSON); 0 when it is valid, else the error's length. */
export function setControls(p: usize): i32 {
  const cfg = take(p);
  if (cfg == null) {
    controls = null;
    return 0;
  }
  const r = parseConfig(Uint8Array.wrap(cfg));
  const c = r.config;
  if (c == null) return r.error.length;
  controls = CaptureControls.from(c);
  return 0;
}

/** The strict JSON reader's verdict on the bytes (config/json.ts): 0 when well formed, else the reason's length. */
export function jsonProblem(p: usize): i32 {
  const b = take(p);
  return checkJson(b == null ? new Uint8Array(0) : Uint8Array.wrap(b)).length;
}

/** A buffer for Node to fill; pinned until a setter takes it over. */
export function alloc(n: i32): usize {
  return __pin(changetype<usize>(new ArrayBuffer(n)));
}

/** Releases a buffer returned by `serialize`. */
export function release(p: usize): void {
  __unpin(p);
}

function take(p: usize): ArrayBuffer | null {
  if (p == 0) return null;
  __unpin(p);
  return changetype<ArrayBuffer>(p);
}

export function reset(limit: i32): void {
  x = new CapturedExchange();
  x.requestBody = new BodyCapture(limit);
  x.responseBody = new BodyCapture(limit);
  src = new SourceInfo();
}

export function setRequestHeaders(p: usize): void { x.requestHeaders = takeRaw(p); }
export function setResponseHeaders(p: usize): void { x.responseHeaders = takeRaw(p); }

function takeRaw(p: usize): RawBytes | null {
  const b = take(p);
  return b == null ? null : RawBytes.copyOf(b);
}
export function setSourceAddress(p: usize): void { x.sourceAddress = take(p); }
export function setDestinationAddress(p: usize): void { x.destinationAddress = take(p); }
export function setProtocol(p: usize): void { x.protocol = take(p); }
export function setPorts(source: i32, destination: i32): void { x.sourcePort = source; x.destinationPort = destination; }

export function setSourceInfo(pool: usize, instance: usize): void {
  const a = take(pool);
  const b = take(instance);
  src = new SourceInfo(a == null ? "" : String.UTF8.decode(a), b == null ? "" : String.UTF8.decode(b));
}

export function setTimes(status: i32, requestStartNs: u64): void {
  x.status = status;
  x.requestStartNs = requestStartNs;
}

// A chunk passing: the body decides how many leading bytes it wants, and gets exactly those (as from
// proxy_get_buffer_bytes(start=0, len=want)). Returns the number of bytes taken.
function chunk(body: BodyCapture | null, p: usize): u32 {
  const all = take(p);
  if (body == null || all == null) return 0;
  const size = <u32>all.byteLength;
  const want = body.wanted(size);
  body.add(size, want > 0 ? all.slice(0, <i32>want) : null);
  return want;
}

export function requestChunk(p: usize): u32 { return chunk(x.requestBody, p); }
export function responseChunk(p: usize): u32 { return chunk(x.responseBody, p); }

/**
 * Serialises as the policy does (exact size first, then built once into a block of that size); returns
 * a pinned ArrayBuffer (its length is at ptr - 4), or 0 when the size was not exact.
 */
export function serialize(id: usize): usize {
  const idBuf = take(id);
  const ids = idBuf == null ? "" : String.UTF8.decode(idBuf);
  const p = prepareTransaction(x, controls);
  const size = transactionSize(x, ids, src, controls, p);
  const built = RawBytes.alloc(<i32>size);
  const exact = writeTransactionInto(built, x, ids, src, controls, p);
  p.free();
  const out = built.toArrayBuffer();
  built.free();
  return exact ? __pin(changetype<usize>(out)) : 0;
}
