// One side's body (request or response), captured chunk by chunk as it passes. Pure (no host calls):
// the HTTP context asks `wanted(chunk)` how many bytes of the chunk to fetch from the host (never more
// than what is left under the limit), fetches exactly that many, and hands them to `add`. Bytes beyond
// the limit are only counted: they never enter the module.
//
// Chunks are kept as the host delivered them (no second copy into a contiguous buffer); the UTF-8
// check runs incrementally as they arrive, and the serialiser walks the chunk list once.
import { Utf8StreamValidator } from "./utf8";

export class BodyCapture {
  /** The byte limit (cequenceBodyLimitBytes); 0 captures nothing but still counts and flags truncation. */
  readonly limit: i32;
  /** Bytes seen passing through, captured or not. */
  total: u64 = 0;
  /** Bytes captured (sum of chunk lengths), at most `limit`. */
  captured: i32 = 0;
  /** The host did not deliver bytes it announced: capture stopped there so the copy stays a true prefix. */
  gap: bool = false;
  readonly chunks: ArrayBuffer[] = [];
  private readonly utf8: Utf8StreamValidator = new Utf8StreamValidator();

  constructor(limit: i32) {
    this.limit = limit < 0 ? 0 : limit;
  }

  /** How many leading bytes of a chunk of `chunkSize` bytes to copy: min(chunkSize, room left). */
  wanted(chunkSize: u32): u32 {
    if (this.gap) return 0;
    const room = this.limit - this.captured;
    if (room <= 0) return 0;
    return chunkSize < <u32>room ? chunkSize : <u32>room;
  }

  /**
   * Records a chunk of `chunkSize` bytes of which `bytes` (null when none were fetched) are its
   * leading bytes, as fetched after `wanted(chunkSize)`.
   */
  add(chunkSize: u32, bytes: ArrayBuffer | null): void {
    const want = this.wanted(chunkSize);
    this.total += <u64>chunkSize;
    if (want == 0) return;
    if (bytes == null) {
      this.gap = true;
      return;
    }
    let n = bytes.byteLength;
    if (<u32>n > want) n = <i32>want; // the host gave more than asked: keep only what fits
    if (n > 0) {
      const piece = n == bytes.byteLength ? bytes : bytes.slice(0, n);
      this.chunks.push(piece);
      this.captured += n;
      this.utf8.feedBuffer(piece);
    }
    if (<u32>n < want) this.gap = true; // fewer bytes than the chunk announced
  }

  /** Some of the body was not captured (over the limit, or the host withheld bytes). */
  get truncated(): bool {
    return this.total > <u64>this.captured;
  }

  /** The captured bytes are well-formed UTF-8 (and end on a character boundary). */
  get isUtf8(): bool {
    return this.utf8.valid;
  }

  /** The captured bytes in one buffer (tests and tools; the serialiser walks `chunks` instead). */
  bytes(): ArrayBuffer {
    const out = new ArrayBuffer(this.captured);
    let off: usize = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = unchecked(this.chunks[i]);
      memory.copy(changetype<usize>(out) + off, changetype<usize>(c), <usize>c.byteLength);
      off += <usize>c.byteLength;
    }
    return out;
  }
}
