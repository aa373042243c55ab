import { backoffCeilingMs, backoffDelayMs } from "../../assembly/client/backoff";
import { Rng } from "../../assembly/client/rng";

describe("client backoff: ceiling", () => {
  it("starts at the initial delay and doubles per attempt", () => {
    expect(backoffCeilingMs(0, 500, 30000)).toBe(500);
    expect(backoffCeilingMs(1, 500, 30000)).toBe(1000);
    expect(backoffCeilingMs(2, 500, 30000)).toBe(2000);
    expect(backoffCeilingMs(5, 500, 30000)).toBe(16000);
  });
  it("is capped at the maximum and never overflows", () => {
    expect(backoffCeilingMs(6, 500, 30000)).toBe(30000);
    expect(backoffCeilingMs(100, 500, 30000)).toBe(30000);
    expect(backoffCeilingMs(2147483647, 10, 3600000)).toBe(3600000);
    expect(backoffCeilingMs(70, 600000, 3600000)).toBe(3600000);
  });
  it("never exceeds the cap even when the initial delay does", () => {
    expect(backoffCeilingMs(0, 5000, 1000)).toBe(1000);
  });
  it("is never below 1 ms", () => {
    expect(backoffCeilingMs(0, 0, 0)).toBe(1);
    expect(backoffDelayMs(0, 0, 0, 12345)).toBe(1);
  });
});

describe("client backoff: jittered delay", () => {
  it("stays within [ceiling/2, ceiling] for every attempt and many jitter values", () => {
    const rng = new Rng(42);
    for (let attempt = 0; attempt < 20; attempt++) {
      const ceiling = backoffCeilingMs(attempt, 500, 30000);
      for (let k = 0; k < 200; k++) {
        const d = backoffDelayMs(attempt, 500, 30000, rng.nextU32());
        expect(d).toBeGreaterThanOrEqual(ceiling - ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });
  it("reaches both ends of the range", () => {
    // rand 0 gives the low end; rand = span-1 gives the top.
    expect(backoffDelayMs(1, 500, 30000, 0)).toBe(500);
    expect(backoffDelayMs(1, 500, 30000, 500)).toBe(1000);
    expect(backoffDelayMs(1, 500, 30000, u32.MAX_VALUE)).toBeLessThanOrEqual(1000);
  });
  it("grows: below the cap, the smallest delay of attempt n+1 equals the largest of attempt n", () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const lowNext = backoffDelayMs(attempt + 1, 500, 30000, 0);
      expect(lowNext).toBe(backoffCeilingMs(attempt, 500, 30000));
    }
  });
  it("actually jitters: different random inputs give different delays", () => {
    const rng = new Rng(7);
    const first = backoffDelayMs(4, 500, 30000, rng.nextU32());
    let differs = false;
    for (let k = 0; k < 20; k++) if (backoffDelayMs(4, 500, 30000, rng.nextU32()) != first) differs = true;
    expect(differs).toBe(true);
  });
});

describe("client rng", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    let sameAB = true;
    let sameAC = true;
    for (let i = 0; i < 16; i++) {
      const x = a.nextU32();
      if (x != b.nextU32()) sameAB = false;
      if (x != c.nextU32()) sameAC = false;
    }
    expect(sameAB).toBe(true);
    expect(sameAC).toBe(false);
  });
  it("works from a zero seed and spreads over the range", () => {
    const r = new Rng(0);
    let high = 0;
    let low = 0;
    for (let i = 0; i < 1000; i++) {
      if (r.nextU32() >= 0x80000000) high++;
      else low++;
    }
    expect(high).toBeGreaterThan(400);
    expect(low).toBeGreaterThan(400);
  });
});
