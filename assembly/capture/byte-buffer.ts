// A growable byte buffer: the output of the JSON writer and the base64 encoder. Pure (no host calls).
// Writes never trap: the buffer grows geometrically, and every write reserves its room first.

export class ByteBuffer {
  private buf: ArrayBuffer;
  private len: i32 = 0;

  constructor(initialCapacity: i32 = 256) {
    this.buf = new ArrayBuffer(initialCapacity < 16 ? 16 : initialCapacity);
  }

  get length(): i32 {
    return this.len;
  }

  get capacity(): i32 {
    return this.buf.byteLength;
  }

  /** Makes room for `extra` more bytes and returns the address where they go. */
  @inline
  reserve(extra: i32): usize {
    const need = this.len + extra;
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength << 1;
      if (cap < need) cap = need;
      const next = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(next), changetype<usize>(this.buf), <usize>this.len);
      this.buf = next;
    }
    return changetype<usize>(this.buf) + <usize>this.len;
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
    return this.buf.slice(0, this.len);
  }

  /** The bytes written so far as a string (tests and debug only). */
  toString(): string {
    return String.UTF8.decodeUnsafe(changetype<usize>(this.buf), <usize>this.len);
  }

  reset(): void {
    this.len = 0;
  }
}
