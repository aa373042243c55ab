import { Arena } from "../../assembly/arena";
import { Rng } from "./capture-helpers";

function fill(p: usize, n: i32, seed: u8): void {
  for (let i = 0; i < n; i++) store<u8>(p + <usize>i, seed + <u8>i);
}

function intact(p: usize, n: i32, seed: u8): bool {
  for (let i = 0; i < n; i++) if (load<u8>(p + <usize>i) != <u8>(seed + <u8>i)) return false;
  return true;
}

describe("arena: a fixed region with its own allocator", () => {
  it("keeps every block's bytes through random allocations, frees and resizes, and coalesces back to one block", () => {
    const a = new Arena(1 << 20);
    const whole = a.largestFree();
    const rng = new Rng(5);
    const ptrs = new Array<usize>();
    const lens = new Array<i32>();
    const seeds = new Array<u8>();
    let failed = 0;
    for (let step = 0; step < 20000; step++) {
      const k = rng.below(10);
      if (k < 5 || ptrs.length == 0) {
        const n = rng.below(rng.below(10) == 0 ? 200000 : 3000);
        const p = a.alloc(n);
        if (p == 0) { failed++; continue; }
        expect(a.holds(p)).toBe(true);
        const s = <u8>rng.below(256);
        fill(p, n, s);
        ptrs.push(p); lens.push(n); seeds.push(s);
      } else if (k < 8) {
        const i = rng.below(ptrs.length);
        expect(intact(ptrs[i], lens[i], seeds[i])).toBe(true, "a block's bytes changed");
        a.free(ptrs[i]);
        ptrs[i] = ptrs[ptrs.length - 1]; lens[i] = lens[lens.length - 1]; seeds[i] = seeds[seeds.length - 1];
        ptrs.pop(); lens.pop(); seeds.pop();
      } else {
        const i = rng.below(ptrs.length);
        const n = rng.below(6000);
        const q = a.realloc(ptrs[i], n);
        if (q == 0) { failed++; continue; }
        const keep = n < lens[i] ? n : lens[i];
        expect(intact(q, keep, seeds[i])).toBe(true, "realloc lost bytes");
        fill(q, n, seeds[i]);
        ptrs[i] = q; lens[i] = n;
      }
    }
    // no two blocks overlap
    for (let i = 0; i < ptrs.length; i++) expect(intact(ptrs[i], lens[i], seeds[i])).toBe(true);
    expect(failed).toBeGreaterThan(0); // it did fill up: failures are answers, not growth
    for (let i = 0; i < ptrs.length; i++) a.free(ptrs[i]);
    expect(a.live).toBe(0);
    expect(a.used).toBe(0);
    expect(a.largestFree()).toBe(whole); // everything merged back
  });
  it("answers 0 when full and never takes memory beyond its region", () => {
    const before = memory.size();
    const a = new Arena(65536);
    let n = 0;
    while (a.alloc(1000) != 0) n++;
    expect(n).toBeGreaterThan(60);
    expect(a.alloc(1)).toBeGreaterThan(0); // the tail still fits a small one
    expect(memory.size() - before).toBeLessThanOrEqual(2);
  });
  it("grows in place into a free neighbour, else moves, and shrinks in place", () => {
    const a = new Arena(4096);
    const p = a.alloc(100);
    fill(p, 100, 1);
    expect(a.realloc(p, 1000)).toBe(p); // the rest of the region is free and after it
    const q = a.alloc(50);
    const r = a.realloc(p, 2000);
    expect(r).not.toBe(p); // q is in the way: moved
    expect(intact(r, 100, 1)).toBe(true);
    expect(a.realloc(r, 10)).toBe(r);
    a.free(q);
    a.free(r);
    expect(a.live).toBe(0);
  });
  it("a retired region is given back when its last block is freed", () => {
    const a = new Arena(8192);
    const p = a.alloc(10);
    a.retire();
    expect(a.largestFree()).toBeGreaterThan(0);
    a.free(p);
    expect(a.largestFree()).toBe(0);
    expect(a.alloc(1)).toBe(0);
  });
});
