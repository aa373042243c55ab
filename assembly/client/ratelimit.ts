// At most one log line per interval for a repeating condition, counting what was held back. Pure.

export class LogLimiter {
  private lastMs: i64 = 0;
  private used: bool = false;
  /** Occurrences held back since the last line. */
  suppressed: u32 = 0;

  /** True when a line may be written now; otherwise counts the occurrence as suppressed. */
  allow(nowMs: i64, intervalMs: i64): bool {
    if (this.used && nowMs - this.lastMs < intervalMs) {
      this.suppressed++;
      return false;
    }
    this.used = true;
    this.lastMs = nowMs;
    return true;
  }

  /** The suppressed count to mention in the line being written, resetting it. */
  takeSuppressed(): u32 {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }

  reset(): void {
    this.used = false;
    this.suppressed = 0;
  }
}
