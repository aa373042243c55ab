// Capped exponential backoff with jitter. Pure.
//
// Attempt n (0 for the first retry) has a ceiling of min(max, initial * 2^n); the delay is drawn in
// [ceiling/2, ceiling] ("equal jitter"), so retries from many workers spread out, the wait still grows,
// and it never exceeds the cap.

/** min(maxMs, initialMs * 2^attempt), computed without overflow; at least 1. */
export function backoffCeilingMs(attempt: i32, initialMs: i64, maxMs: i64): i64 {
  let cap = maxMs < 1 ? <i64>1 : maxMs;
  let d = initialMs < 1 ? <i64>1 : initialMs;
  if (d >= cap) return cap;
  for (let i = 0; i < attempt; i++) {
    d = d * 2;
    if (d >= cap) return cap;
  }
  return d;
}

/** A delay in [ceiling/2, ceiling] for the given attempt, using `rand` as the jitter source. */
export function backoffDelayMs(attempt: i32, initialMs: i64, maxMs: i64, rand: u32): i64 {
  const ceiling = backoffCeilingMs(attempt, initialMs, maxMs);
  const low = ceiling - ceiling / 2; // ceil(ceiling / 2), so the delay is never 0
  const span = <u64>(ceiling - low + 1); // >= 1: no division by zero
  return low + <i64>(<u64>rand % span);
}
