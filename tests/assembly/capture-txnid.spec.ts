import { TxnIdGenerator, mix64 } from "../../assembly/capture/txn-id";

function isLowerHex32(s: string): bool {
  if (s.length != 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

describe("transaction ids", () => {
  it("are 32 lowercase hex digits", () => {
    const g = new TxnIdGenerator(0x0123456789abcdef, 42);
    for (let i = 0; i < 100; i++) expect(isLowerHex32(g.next())).toBe(true);
    const z = new TxnIdGenerator(0, 0);
    expect(isLowerHex32(z.next())).toBe(true);
  });
  it("carry the VM prefix in the first 16 digits", () => {
    const g = new TxnIdGenerator(0x0123456789abcdef, 42);
    expect(g.next().substring(0, 16)).toBe("0123456789abcdef");
  });
  it("never repeat within a VM (200000 ids)", () => {
    const g = new TxnIdGenerator(0xdeadbeef, 0x1234);
    const seen = new Set<string>();
    const n = 200000;
    for (let i = 0; i < n; i++) seen.add(g.next());
    expect(seen.size).toBe(n);
    expect(g.issued).toBe(<u64>n);
  });
  it("differ between VMs with different seeds, even at the same counter", () => {
    const seen = new Set<string>();
    for (let vm: u64 = 1; vm <= 50; vm++) {
      const g = new TxnIdGenerator(mix64(vm), mix64(vm + 1000));
      for (let i = 0; i < 1000; i++) seen.add(g.next());
    }
    expect(seen.size).toBe(50000);
  });
  it("look random in the low half (consecutive ids differ in many bits)", () => {
    const g = new TxnIdGenerator(1, 0);
    let prev = g.next();
    for (let i = 0; i < 100; i++) {
      const cur = g.next();
      let diff = 0;
      for (let k = 16; k < 32; k++) if (cur.charCodeAt(k) != prev.charCodeAt(k)) diff++;
      expect(diff >= 6).toBe(true, prev + " vs " + cur);
      prev = cur;
    }
  });
  it("mix64 is injective on a sample", () => {
    const seen = new Set<u64>();
    for (let i: u64 = 0; i < 100000; i++) seen.add(mix64(i));
    expect(seen.size).toBe(100000);
  });
});
