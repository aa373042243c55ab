// One side's body (request or response), captured chunk by chunk as it passes. Pure (no host calls):
// the HTTP context asks `wanted(chunk)` how many bytes of the chunk to fetch from the host (never more
// than what is left under the limit), fetches exactly that many, and hands them to `add`. Bytes beyond
// the limit are only counted: they never enter the module.
//
// Chunks are kept as the host delivered them, in unmanaged blocks this body owns and frees on release
// (raw-bytes.ts); a small chunk is appended to a small previous one, so a body sent a few bytes at a
// time does not become thousands of blocks. The serialiser walks the chunk list once, base64-encoding
// as it goes (the wire format carries every body base64).

import { captureBudgetLeft, releaseCapture, reserveCapture } from "./budget";
import { RawBytes } from "../raw-bytes";

/** A chunk smaller than this is appended to a previous chunk that is also smaller than this. */
const SMALL_CHUNK: i32 = 4096;

export class BodyCapture {
  /** The byte limit (cequenceBodyLimitBytes); 0 captures nothing but still counts and flags truncation. */
  readonly limit: i32;
  /** Bytes seen passing through, captured or not. */
  total: u64 = 0;
  /** Bytes captured (sum of chunk lengths), at most `limit`. */
  captured: i32 = 0;
  /** The host did not deliver bytes it announced: capture stopped there so the copy stays a true prefix. */
  gap: bool = false;
  readonly chunks: RawBytes[] = [];

  constructor(limit: i32) {
    this.limit = limit < 0 ? 0 : limit;
  }

  /** Not read at all (cequenceSkipBodyContentTypes): the transaction says so instead of "truncated". */
  skipped: bool = false;

  /** Stops capturing this body before any byte: bytes that pass are only counted. */
  skip(): void {
    this.skipped = true;
  }

  /** How many leading bytes of a chunk of `chunkSize` bytes to copy: min(chunkSize, room left). */
  wanted(chunkSize: u32): u32 {
    if (this.gap || this.released || this.skipped) return 0;
    let room = <i64>(this.limit - this.captured);
    const left = captureBudgetLeft();
    if (room > left) room = left;
    if (room <= 0) return 0;
    return <i64>chunkSize < room ? chunkSize : <u32>room;
  }

  private released: bool = false;

  /** Gives this body's captured bytes back to the VM's budget and their blocks to the allocator; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    releaseCapture(<i64>this.captured);
    const chunks = this.chunks;
    for (let i = 0; i < chunks.length; i++) unchecked(chunks[i]).free();
  }

  /** As addRaw, from a managed buffer (tests and tools). */
  add(chunkSize: u32, bytes: ArrayBuffer | null): void {
    this.addRaw(chunkSize, bytes != null ? RawBytes.copyOf(bytes) : null);
  }

  /**
   * Records a chunk of `chunkSize` bytes of which `bytes` (null when none were fetched) are its
   * leading bytes, as fetched after `wanted(chunkSize)`. Takes ownership of `bytes`.
   */
  addRaw(chunkSize: u32, bytes: RawBytes | null): void {
    const want = this.wanted(chunkSize);
    this.total += <u64>chunkSize;
    if (want == 0) {
      if (bytes != null) bytes.free();
      return;
    }
    if (bytes == null) {
      this.gap = true;
      return;
    }
    let n = bytes.len;
    if (<u32>n > want) n = <i32>want; // the host gave more than asked: keep only what fits
    if (n > 0) {
      const chunks = this.chunks;
      const last = chunks.length > 0 ? unchecked(chunks[chunks.length - 1]) : null;
      if (last != null && n < SMALL_CHUNK && last.len < SMALL_CHUNK && last.append(bytes.ptr, n)) {
        bytes.free();
      } else {
        bytes.shrink(n);
        chunks.push(bytes);
      }
      this.captured += n;
      reserveCapture(<i64>n); // fits: wanted() never asks for more than the budget has left
    } else {
      bytes.free();
    }
    if (<u32>n < want) this.gap = true; // fewer bytes than the chunk announced
  }

  /** Some of the body was not captured (over the limit, or the host withheld bytes). */
  get truncated(): bool {
    return !this.skipped && this.total > <u64>this.captured;
  }

  /** The captured bytes in one buffer (tests and tools; the serialiser walks `chunks` instead). */
  bytes(): ArrayBuffer {
    const out = new ArrayBuffer(this.captured);
    let off: usize = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = unchecked(this.chunks[i]);
      memory.copy(changetype<usize>(out) + off, c.ptr, <usize>c.len);
      off += <usize>c.len;
    }
    return out;
  }
}
