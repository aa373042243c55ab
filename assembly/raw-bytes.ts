// Unmanaged byte blocks for the large buffers: header maps and bodies a stream holds, transactions in
// the queue, batches out for delivery. Each has exactly one owner, which frees it the moment it lets
// go, so the allocator reuses the room at once; left to the garbage collector, these buffers stayed
// allocated for a cycle or more, interleaved with each other, and linear memory grew to ~3x what was
// live (README "Memory"). Pure (no host calls).

export class RawBytes {
  /** 0 when empty or freed. */
  ptr: usize = 0;
  len: i32 = 0;

  /** A block of `n` bytes (contents undefined). */
  static alloc(n: i32): RawBytes {
    const r = new RawBytes();
    if (n > 0) {
      r.ptr = heap.alloc(<usize>n);
      r.len = n;
    }
    return r;
  }

  /** Takes ownership of a block from heap.alloc (the host's malloc in raw mode). */
  static adopt(ptr: usize, len: i32): RawBytes {
    const r = new RawBytes();
    r.ptr = ptr;
    r.len = ptr != 0 ? len : 0;
    return r;
  }

  static copyOf(buf: ArrayBuffer): RawBytes {
    const r = RawBytes.alloc(buf.byteLength);
    if (r.len > 0) memory.copy(r.ptr, changetype<usize>(buf), <usize>r.len);
    return r;
  }

  get byteLength(): i32 {
    return this.len;
  }

  /** Keeps the first `n` bytes (n <= len); the allocator takes the rest back in place. */
  shrink(n: i32): void {
    if (n >= this.len) return;
    if (n <= 0) {
      this.free();
      return;
    }
    this.ptr = heap.realloc(this.ptr, <usize>n);
    this.len = n;
  }

  /** Appends `n` bytes from `src`, growing the block (in place when the allocator can). */
  append(src: usize, n: i32): void {
    if (n <= 0) return;
    const at = this.len;
    const size = <usize>(at + n);
    this.ptr = this.ptr == 0 ? heap.alloc(size) : heap.realloc(this.ptr, size);
    memory.copy(this.ptr + <usize>at, src, <usize>n);
    this.len = at + n;
  }

  /** A managed copy (tests, tools and the rare slow paths). */
  toArrayBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.len);
    if (this.len > 0) memory.copy(changetype<usize>(out), this.ptr, <usize>this.len);
    return out;
  }

  /** Gives the block back; idempotent. */
  free(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.len = 0;
  }
}
