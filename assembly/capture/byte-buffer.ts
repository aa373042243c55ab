// A growable byte buffer: the output of the JSON writer and the base64 encoder. Pure (no host calls).
// Writes never trap: the buffer grows geometrically, and every write reserves its room first.
import { Utf8, utf8Bytes, utf8Length } from "../literals";

export class ByteBuffer {
  /** Managed storage; null while writing over someone else's memory, or into the heap block that replaced it. */
  private buf: ArrayBuffer | null = null;
  private base: usize = 0;
  private cap: i32 = 0;
  private len: i32 = 0;
  /** Writing into the `cap` bytes at `over` (a transaction's record in the queue's region); the first growth moves the bytes to a heap block this buffer owns (free()). */
  private external: bool = false;

  constructor(initialCapacity: i32 = 256, over: usize = 0) {
    if (over != 0) {
      this.base = over;
      this.cap = initialCapacity;
      this.external = true;
    } else {
      const cap = initialCapacity < 16 ? 16 : initialCapacity;
      const b = new ArrayBuffer(cap);
      this.buf = b;
      this.base = changetype<usize>(b);
      this.cap = cap;
    }
  }

  /** Still writing into the memory it was given (it never had to grow). */
  get inPlace(): bool {
    return this.external;
  }

  get length(): i32 {
    return this.len;
  }

  get capacity(): i32 {
    return this.cap;
  }

  /** Makes room for `extra` more bytes and returns the address where they go. */
  @inline
  reserve(extra: i32): usize {
    const need = this.len + extra;
    if (need > this.cap) this.grow(need);
    return this.base + <usize>this.len;
  }

  private grow(need: i32): void {
    let cap = this.cap << 1;
    if (cap < need) cap = need;
    if (this.external) {
      const next = heap.alloc(<usize>cap);
      memory.copy(next, this.base, <usize>this.len);
      this.base = next;
      this.external = false;
    } else if (this.buf == null) {
      this.base = heap.realloc(this.base, <usize>cap); // the heap block taken at the first growth; in place when it can
    } else {
      const next = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(next), this.base, <usize>this.len);
      this.buf = next;
      this.base = changetype<usize>(next);
    }
    this.cap = cap;
  }

  /** Gives back the heap block growth moved the bytes to (nothing to do otherwise); idempotent. */
  free(): void {
    if (this.buf == null && this.base != 0 && !this.external) heap.free(this.base);
    if (this.buf == null) {
      this.base = 0;
      this.cap = 0;
    }
    this.len = 0;
  }

  /** Marks `n` bytes written at the address `reserve` returned. */
  @inline
  commit(n: i32): void {
    this.len += n;
  }

  @inline
  writeByte(b: u8): void {
    store<u8>(this.reserve(1), b);
    this.len += 1;
  }

  @inline
  writeBytes(ptr: usize, n: i32): void {
    if (n <= 0) return;
    memory.copy(this.reserve(n), ptr, <usize>n);
    this.len += n;
  }

  /** Writes the bytes of a utf8() literal. */
  writeUtf8(s: Utf8): void {
    this.writeBytes(utf8Bytes(s), utf8Length(s));
  }

  /** Writes the characters of an ASCII-only string (callers guarantee every code unit is < 0x80). */
  writeAscii(s: string): void {
    const n = s.length;
    const dst = this.reserve(n);
    const src = changetype<usize>(s);
    for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
    this.len += n;
  }

  writeU64(v: u64): void {
    // At most 20 digits; written backwards into the reserved room, then moved to the front.
    const dst = this.reserve(20);
    let p: i32 = 20;
    do {
      p--;
      store<u8>(dst + <usize>p, <u8>(0x30 + <u32>(v % 10)));
      v /= 10;
    } while (v != 0);
    const n = 20 - p;
    if (p > 0) memory.copy(dst, dst + <usize>p, <usize>n);
    this.len += n;
  }

  writeI64(v: i64): void {
    if (v < 0) {
      this.writeByte(0x2d);
      this.writeU64(<u64>(-(v + 1)) + 1);
    } else {
      this.writeU64(<u64>v);
    }
  }

  /** A copy of the bytes written so far, exactly `length` long. */
  toArrayBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.len);
    memory.copy(changetype<usize>(out), this.base, <usize>this.len);
    return out;
  }

  /** The bytes written so far as a string (tests and debug only). */
  toString(): string {
    return String.UTF8.decodeUnsafe(this.base, <usize>this.len);
  }

  reset(): void {
    this.len = 0;
  }
}
