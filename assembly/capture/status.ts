// Response status: parsing the `:status` pseudo-header and the capture range
// (cequenceMinStatusCode..cequenceMaxStatusCode, inclusive). Pure.

/** The status code in `len` ASCII digits at `ptr` (100..999), or 0 when it is not a 3-digit number. */
export function parseStatus(ptr: usize, len: i32): i32 {
  if (len != 3) return 0;
  let v: i32 = 0;
  for (let i = 0; i < 3; i++) {
    const c = <i32>load<u8>(ptr + <usize>i);
    if (c < 0x30 || c > 0x39) return 0;
    v = v * 10 + (c - 0x30);
  }
  return v >= 100 ? v : 0;
}

/** True when a response with this status is captured. A missing or malformed status (0) never is. */
export function statusCaptured(status: i32, minStatus: i32, maxStatus: i32): bool {
  return status > 0 && status >= minStatus && status <= maxStatus;
}
