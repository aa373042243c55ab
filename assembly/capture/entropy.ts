// Per-VM randomness for transaction ids, from WASI random_get (provided by Envoy and so by Flex
// Gateway). If the host refuses, falls back to the clock mixed with a heap address, which still
// differs between VMs started at different instants. Glue: imports wasi_snapshot_preview1.random_get.
import { TxnIdGenerator, mix64 } from "./txn-id";
import { nowNanos } from "../host";

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function wasi_random_get(buf: usize, len: usize): u16;

const seedCell = memory.data(16);

let generator: TxnIdGenerator | null = null;

/** The VM's id generator, seeded on first use. */
export function txnIds(): TxnIdGenerator {
  let g = generator;
  if (g == null) {
    store<u64>(seedCell, 0);
    store<u64>(seedCell, 0, 8);
    let a: u64;
    let b: u64;
    if (wasi_random_get(seedCell, 16) == 0) {
      a = load<u64>(seedCell);
      b = load<u64>(seedCell, 8);
    } else {
      const t = nowNanos();
      const probe = changetype<usize>(new ArrayBuffer(8));
      a = mix64(t ^ 0x9e3779b97f4a7c15);
      b = mix64(t + (<u64>probe << 32) + 1);
    }
    if (a == 0) a = mix64(nowNanos() | 1);
    g = new TxnIdGenerator(a, b);
    generator = g;
  }
  return g;
}
