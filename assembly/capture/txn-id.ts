// Transaction ids: 32 lowercase hex digits (128 bits). Pure.
// The high 64 bits are a per-VM prefix drawn once from WASI random_get (see entropy.ts); the low 64 bits
// are a bijective mix (splitmix64's finaliser) of a per-VM counter plus a random key. Within one VM two
// ids can only coincide after 2^64 ids; across VMs (one per gateway worker) they differ by their random
// prefixes. No Math.random: it would import env.seed, which the gateway does not provide.

/** splitmix64's output function: a bijection on u64 with good avalanche. */
export function mix64(x: u64): u64 {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

export class TxnIdGenerator {
  private counter: u64 = 0;

  constructor(private prefix: u64, private key: u64) {}

  get issued(): u64 {
    return this.counter;
  }

  next(): string {
    this.counter++;
    const lo = mix64(this.counter + this.key);
    const s = changetype<string>(__new(64, idof<string>()));
    const p = changetype<usize>(s);
    writeHex16(p, this.prefix);
    writeHex16(p + 32, lo);
    return s;
  }
}

// 16 hex digits (UTF-16 code units) for v, most significant first.
function writeHex16(dst: usize, v: u64): void {
  for (let i = 15; i >= 0; i--) {
    const d = <u32>(v & 15);
    store<u16>(dst + (<usize>i << 1), d < 10 ? 0x30 + d : 0x57 + d);
    v >>= 4;
  }
}
