// Pseudo-random numbers for retry jitter. Pure: the glue seeds it (WASI random_get and the clock), so the module
// never uses Math.random, which would import env.seed.

/** splitmix64 finaliser: spreads a poor seed (e.g. a clock reading) over all 64 bits. */
export function mix64(x: u64): u64 {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

/** xorshift64*: small, fast, good enough for jitter (not for anything secret). */
export class Rng {
  private s: u64;
  constructor(seed: u64) {
    let s = mix64(seed);
    if (s == 0) s = 0x2545f4914f6cdd1d;
    this.s = s;
  }
  nextU32(): u32 {
    let x = this.s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.s = x;
    return <u32>((x * 0x2545f4914f6cdd1d) >> 32);
  }
}
