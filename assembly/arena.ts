// A fixed region of linear memory with its own allocator, for the large buffers of one kind (what
// streams capture; the queue's transactions and batches). The region is taken once, so the module's
// memory is the regions' sizes plus a small heap whatever the traffic: when the region is full or cut
// up, an allocation fails (the caller drops and counts, as for a full queue) instead of growing memory.
// First fit over a free list, boundary tags, neighbours coalesced on free. Pure (no host calls).
//
// Block: u32 size (whole block, header included, a multiple of 8; bit 0 set when free), u32 size of the
// block before it (0 for the first), then the payload; a free block's payload holds the free list's
// next and previous links.

const HDR: usize = 8;
const MIN_BLOCK: usize = 16;
const FREE: u32 = 1;

@inline function sizeOf(b: usize): usize { return <usize>(load<u32>(b) & ~7); }
@inline function isFree(b: usize): bool { return (load<u32>(b) & FREE) != 0; }
@inline function prevSizeOf(b: usize): usize { return <usize>load<u32>(b, 4); }
@inline function nextLink(b: usize): usize { return <usize>load<u32>(b, 8); }
@inline function prevLink(b: usize): usize { return <usize>load<u32>(b, 12); }
@inline function blockSizeFor(n: usize): usize {
  const s = (n + HDR + 7) & ~<usize>7;
  return s < MIN_BLOCK ? MIN_BLOCK : s;
}

export class Arena {
  private region: usize = 0;
  private base: usize = 0;
  private end: usize = 0;
  private freeHead: usize = 0;
  /** Bytes in blocks in use (headers included). */
  used: usize = 0;
  /** Blocks in use. */
  live: i32 = 0;
  /** Replaced by a region of another size: the region is given back when its last block is freed. */
  private retired: bool = false;

  /** A region of `bytes` bytes (a multiple of 8 is used), taken from the heap once. */
  constructor(public readonly bytes: i32) {
    const size = (<usize>(bytes < 64 ? 64 : bytes) + 7) & ~<usize>7;
    this.region = heap.alloc(size + 8);
    this.base = (this.region + 7) & ~<usize>7;
    this.end = this.base + size;
    store<u32>(this.base, <u32>size | FREE);
    store<u32>(this.base, 0, 4);
    this.freeHead = 0;
    this.link(this.base);
  }

  /** True when `p` lies in this region. */
  @inline
  holds(p: usize): bool {
    return p >= this.base && p < this.end;
  }

  /** `n` bytes, or 0 when no free block is large enough. */
  alloc(n: i32): usize {
    if (n < 0 || this.region == 0) return 0;
    const need = blockSizeFor(<usize>n);
    let b = this.freeHead;
    while (b != 0 && sizeOf(b) < need) b = nextLink(b);
    if (b == 0) return 0;
    this.unlink(b);
    this.split(b, need);
    store<u32>(b, <u32>sizeOf(b)); // in use
    this.used += sizeOf(b);
    this.live++;
    return b + HDR;
  }

  free(p: usize): void {
    if (p == 0) return;
    let b = p - HDR;
    let size = sizeOf(b);
    this.used -= size;
    this.live--;
    const nb = b + size;
    if (nb < this.end && isFree(nb)) {
      this.unlink(nb);
      size += sizeOf(nb);
    }
    const ps = prevSizeOf(b);
    if (ps != 0 && isFree(b - ps)) {
      b -= ps;
      this.unlink(b);
      size += sizeOf(b);
    }
    this.setFree(b, size);
    if (this.retired && this.live == 0) this.release();
  }

  /** `p` resized to `n` bytes: in place when it shrinks or the next block is free and large enough, else moved (copied). 0 when there is no room; `p` is then unchanged. */
  realloc(p: usize, n: i32): usize {
    if (p == 0) return this.alloc(n);
    const b = p - HDR;
    const cur = sizeOf(b);
    const need = blockSizeFor(<usize>n);
    if (need <= cur) {
      this.trim(b, need);
      return p;
    }
    const nb = b + cur;
    if (nb < this.end && isFree(nb) && cur + sizeOf(nb) >= need) {
      this.unlink(nb);
      const total = cur + sizeOf(nb);
      this.used += total - cur;
      store<u32>(b, <u32>total);
      const after = b + total;
      if (after < this.end) store<u32>(after, <u32>total, 4);
      this.trim(b, need);
      return p;
    }
    const q = this.alloc(n);
    if (q == 0) return 0;
    memory.copy(q, p, cur - HDR);
    this.free(p);
    return q;
  }

  /** This region is being replaced: give it back now if empty, else when its last block is freed. */
  retire(): void {
    this.retired = true;
    if (this.live == 0) this.release();
  }

  /** The largest free block's payload (tests, diagnostics). */
  largestFree(): i32 {
    let best: usize = 0;
    for (let b = this.freeHead; b != 0; b = nextLink(b)) if (sizeOf(b) > best) best = sizeOf(b);
    return best > HDR ? <i32>(best - HDR) : 0;
  }

  private release(): void {
    if (this.region != 0) heap.free(this.region);
    this.region = 0;
    this.freeHead = 0;
    this.base = this.end = 0;
  }

  /** Cuts block `b` (in use or just unlinked) to `need` bytes when the rest can be a block of its own. */
  private split(b: usize, need: usize): void {
    const size = sizeOf(b);
    if (size - need < MIN_BLOCK) return;
    store<u32>(b, <u32>need | (load<u32>(b) & FREE));
    const rest = b + need;
    store<u32>(rest, <u32>need, 4);
    this.setFree(rest, size - need);
  }

  /** Shrinks block `b` in use to `need` bytes, the tail freed (merged with a free block after it). */
  private trim(b: usize, need: usize): void {
    const size = sizeOf(b);
    if (size - need < MIN_BLOCK) return;
    store<u32>(b, <u32>need);
    this.used -= size - need;
    const rest = b + need;
    store<u32>(rest, <u32>need, 4);
    let restSize = size - need;
    const nb = rest + restSize;
    if (nb < this.end && isFree(nb)) {
      this.unlink(nb);
      restSize += sizeOf(nb);
    }
    this.setFree(rest, restSize);
  }

  /** Marks [b, b+size) a free block, links it, and tells the block after it. */
  private setFree(b: usize, size: usize): void {
    store<u32>(b, <u32>size | FREE);
    const nb = b + size;
    if (nb < this.end) store<u32>(nb, <u32>size, 4);
    this.link(b);
  }

  private link(b: usize): void {
    const h = this.freeHead;
    store<u32>(b, <u32>h, 8);
    store<u32>(b, 0, 12);
    if (h != 0) store<u32>(h, <u32>b, 12);
    this.freeHead = b;
  }

  private unlink(b: usize): void {
    const n = nextLink(b);
    const p = prevLink(b);
    if (p != 0) store<u32>(p, <u32>n, 8);
    else this.freeHead = n;
    if (n != 0) store<u32>(n, <u32>p, 12);
  }
}
