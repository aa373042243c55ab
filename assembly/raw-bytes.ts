// Unmanaged byte blocks for the large buffers: header maps and bodies a stream holds, transactions in
// the queue, batches out for delivery. Each has exactly one owner, which frees it the moment it lets
// go, so the room is reused at once (left to the garbage collector, these buffers stayed allocated
// for a cycle or more). A block comes from an arena (arena.ts: a fixed region per kind, so memory
// cannot grow with traffic) or, outside one (tests, tools, before the first configuration), from the
// heap. Pure (no host calls).
import { Arena } from "./arena";

export class RawBytes {
  /** Where the bytes start (0 when empty or freed). */
  ptr: usize = 0;
  len: i32 = 0;
  /** What free() gives back (0: nothing); ptr may lie inside it (a transaction record's framing). */
  block: usize = 0;
  /** The arena `block` came from; null: the heap. */
  arena: Arena | null = null;

  /** A heap block of `n` bytes (contents undefined). */
  static alloc(n: i32): RawBytes {
    const r = new RawBytes();
    if (n > 0) {
      r.ptr = r.block = heap.alloc(<usize>n);
      r.len = n;
    }
    return r;
  }

  /** `n` bytes from `arena` (the heap when null), or null when the arena has no room. */
  static from(arena: Arena | null, n: i32): RawBytes | null {
    if (arena == null) return RawBytes.alloc(n);
    const p = arena.alloc(n);
    if (p == 0) return null;
    const r = new RawBytes();
    r.ptr = r.block = p;
    r.len = n;
    r.arena = arena;
    return r;
  }

  /** Takes ownership of a block of `len` bytes at `ptr` from `arena` (the heap when null). */
  static adopt(ptr: usize, len: i32, arena: Arena | null): RawBytes {
    const r = new RawBytes();
    r.ptr = r.block = ptr;
    r.len = ptr != 0 ? len : 0;
    r.arena = arena;
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

  /** Keeps the first `n` bytes (n <= len); the rest goes back in place. For a block whose bytes start at its start. */
  shrink(n: i32): void {
    if (n >= this.len) return;
    if (n <= 0) {
      this.free();
      return;
    }
    const a = this.arena;
    this.ptr = this.block = a != null ? a.realloc(this.block, n) : heap.realloc(this.block, <usize>n);
    this.len = n;
  }

  /**
   * Appends `n` bytes from `src`, growing the block (in place when its allocator can). False, and
   * nothing changed, when the arena has no room. For a block whose bytes start at its start.
   */
  append(src: usize, n: i32): bool {
    if (n <= 0) return true;
    const at = this.len;
    const a = this.arena;
    let p: usize;
    if (a != null) {
      p = a.realloc(this.block, at + n);
      if (p == 0) return false;
    } else {
      p = this.block == 0 ? heap.alloc(<usize>(at + n)) : heap.realloc(this.block, <usize>(at + n));
    }
    memory.copy(p + <usize>at, src, <usize>n);
    this.ptr = this.block = p;
    this.len = at + n;
    return true;
  }

  /** A managed copy (tests, tools and the rare slow paths). */
  toArrayBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.len);
    if (this.len > 0) memory.copy(changetype<usize>(out), this.ptr, <usize>this.len);
    return out;
  }

  /** Gives the block back; idempotent. */
  free(): void {
    const b = this.block;
    if (b != 0) {
      const a = this.arena;
      if (a != null) a.free(b);
      else heap.free(b);
    }
    this.ptr = 0;
    this.block = 0;
    this.len = 0;
  }
}
