import { RawBytes } from "../../assembly/raw-bytes";

function fill(r: RawBytes, from: i32, n: i32, v: u8): void {
  for (let i = 0; i < n; i++) store<u8>(r.ptr + <usize>(from + i), v + <u8>i);
}

describe("raw bytes: unmanaged blocks", () => {
  it("appends, shrinks and frees, keeping the bytes", () => {
    const a = RawBytes.alloc(5);
    fill(a, 0, 5, 10);
    const src = RawBytes.alloc(3000);
    fill(src, 0, 3000, 100);
    a.append(src.ptr, 3000);
    expect(a.len).toBe(3005);
    expect(load<u8>(a.ptr + 4)).toBe(14);
    expect(load<u8>(a.ptr + 5)).toBe(100);
    expect(load<u8>(a.ptr + 3004)).toBe(<u8>(100 + 2999));
    a.shrink(6);
    expect(a.len).toBe(6);
    expect(load<u8>(a.ptr + 5)).toBe(100);
    expect(Uint8Array.wrap(a.toArrayBuffer())[5]).toBe(100);
    a.free();
    a.free(); // idempotent
    expect(a.ptr).toBe(0);
    expect(a.len).toBe(0);
    src.free();
  });
  it("gives the room back: a million blocks allocated and freed in turn do not grow memory", () => {
    const before = memory.size();
    for (let i = 0; i < 1000000; i++) {
      const r = RawBytes.alloc(1 + (i * 7919) % 65536);
      r.append(r.ptr, r.len >> 1);
      r.free();
    }
    expect(memory.size() - before).toBeLessThanOrEqual(4); // pages of 64 KiB
  });
  it("an empty block has no address and frees to nothing", () => {
    const e = RawBytes.alloc(0);
    expect(e.ptr).toBe(0);
    e.append(0, 0);
    expect(e.len).toBe(0);
    e.free();
  });
});
