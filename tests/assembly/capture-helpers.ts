// Shared helpers for the capture specs (not a spec itself).
import { checkJson } from "../../assembly/config/json";
import { isValidUtf8 } from "../../assembly/capture/utf8";
import { RawBytes } from "../../assembly/raw-bytes";
import { CapturedExchange, SourceInfo, serializeTransaction, writeTransactionInto, prepareTransaction } from "../../assembly/capture/transaction";
import { transactionSize } from "../../assembly/capture/transaction-size";
import { CaptureControls } from "../../assembly/capture/controls";

export function bytesOf(arr: u8[]): ArrayBuffer {
  const out = new ArrayBuffer(arr.length);
  for (let i = 0; i < arr.length; i++) store<u8>(changetype<usize>(out) + <usize>i, arr[i]);
  return out;
}

export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function ptrOf(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}

export function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

/** "" when `doc` is well-formed JSON in well-formed UTF-8, else the reason. */
export function jsonProblem(doc: ArrayBuffer): string {
  if (!isValidUtf8(changetype<usize>(doc), <usize>doc.byteLength)) return "output is not well-formed UTF-8";
  return checkJson(Uint8Array.wrap(doc));
}

/** Deterministic xorshift64* generator for randomised cases (no Math.random). */
export class Rng {
  constructor(private s: u64) {
    if (this.s == 0) this.s = 0x9e3779b97f4a7c15;
  }
  next(): u64 {
    let x = this.s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.s = x;
    return x * 0x2545f4914f6cdd1d;
  }
  below(n: i32): i32 {
    return <i32>(this.next() % <u64>n);
  }
  bytes(n: i32): ArrayBuffer {
    const out = new ArrayBuffer(n);
    for (let i = 0; i < n; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>this.next());
    return out;
  }
}

export function slice(b: ArrayBuffer, start: i32, end: i32): ArrayBuffer {
  return b.slice(start, end);
}

/** Managed buffers as the unmanaged blocks the policy's pure modules take (copies; tests never free them). */
export function raws(parts: ArrayBuffer[]): RawBytes[] {
  const out = new Array<RawBytes>(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = RawBytes.copyOf(parts[i]);
  return out;
}

export function raw(b: ArrayBuffer): RawBytes {
  return RawBytes.copyOf(b);
}

/**
 * serializeTransaction, held against what the policy runs: transactionSize must be exact and
 * writeTransactionInto (into room reserved once) must write the same bytes.
 */
export function serialize(x: CapturedExchange, id: string, src: SourceInfo, controls: CaptureControls | null = null): ArrayBuffer {
  const bytes = serializeTransaction(x, id, src, controls);
  const p = prepareTransaction(x, controls);
  const size = transactionSize(x, id, src, controls, p);
  expect(size).toBe(<i64>bytes.byteLength, "transactionSize is exact");
  const built = RawBytes.alloc(<i32>size);
  expect(writeTransactionInto(built, x, id, src, controls, p)).toBe(true, "written in place, exactly");
  p.free();
  expect(built.len).toBe(bytes.byteLength);
  expect(memory.compare(built.ptr, changetype<usize>(bytes), <usize>bytes.byteLength)).toBe(0, "buildTransaction writes the same bytes");
  built.free();
  return bytes;
}
