// OAuth2 access-token state for one worker. Pure: the glue does the HTTP calls and the shared-data
// exchange and feeds the results in; this decides when a token is usable, when to renew it, and when a
// failed request may be retried.
//
// Expiry arithmetic: a token received with `expires_in` = L seconds, for a request sent at t0 (the
// request's start, so the time spent in flight counts against the token), expires at t0 + L s and is
// renewed `lead` earlier, where lead = min(margin, L / 10). The tenth keeps a short-lived token from
// being renewed the moment it arrives (a 30 s token with a 60 s margin would otherwise loop); the
// margin bounds the lead for long-lived tokens.
import { backoffDelayMs } from "./backoff";

/** Lifetime assumed when the token response has no expires_in (RFC 6749 makes it optional). */
export const DEFAULT_LIFETIME_S: i64 = 300;
/** Longest lifetime believed (a year); larger values are clamped. */
export const MAX_LIFETIME_S: i64 = 31536000;

/** Milliseconds before expiry at which a token of `lifetimeS` seconds is renewed. */
export function renewLeadMs(lifetimeS: i64, marginS: i64): i64 {
  if (lifetimeS < 0) lifetimeS = 0;
  if (marginS < 0) marginS = 0;
  const margin = marginS * 1000;
  const tenth = lifetimeS * 100; // lifetime/10, in ms
  return margin < tenth ? margin : tenth;
}

/** The lifetime to use for an `expires_in` value (seconds); `has` is false when the field was absent. */
export function effectiveLifetimeS(expiresInS: i64, has: bool): i64 {
  if (!has) return DEFAULT_LIFETIME_S;
  if (expiresInS < 0) return 0;
  return expiresInS > MAX_LIFETIME_S ? MAX_LIFETIME_S : expiresInS;
}

export class TokenState {
  /** The access token, "" when none. Never logged. */
  token: string = "";
  /** Bumped whenever the token changes, so a 401 only discards the token the rejected call carried. */
  generation: u32 = 0;
  expiresAtMs: i64 = 0;
  renewAtMs: i64 = 0;

  /** A token request is outstanding (at most one at a time). */
  fetching: bool = false;
  fetchStartedMs: i64 = 0;
  fetchDeadlineMs: i64 = 0;
  /** Consecutive failed token requests; drives the backoff. */
  failures: i32 = 0;
  /** No token request before this time (backoff after a failure). */
  nextAttemptMs: i64 = 0;
  /** The last token Edge refused: a copy of it found in shared data is not reused. */
  rejected: string = "";
  /** Tokens Edge refused in a row (reset by an accepted batch). */
  rejections: i32 = 0;

  /** A token that has not expired yet. */
  usable(nowMs: i64): bool {
    return this.token.length > 0 && nowMs < this.expiresAtMs;
  }

  /** No token, or the renewal time has come. */
  renewDue(nowMs: i64): bool {
    return this.token.length == 0 || nowMs >= this.renewAtMs;
  }

  /** True when a token request may start now (none outstanding, not backing off). */
  mayFetch(nowMs: i64): bool {
    return !this.fetching && nowMs >= this.nextAttemptMs;
  }

  /** A token request was dispatched; it counts as lost if no answer comes by `deadlineMs`. */
  startFetch(nowMs: i64, deadlineMs: i64): void {
    this.fetching = true;
    this.fetchStartedMs = nowMs;
    this.fetchDeadlineMs = deadlineMs;
  }

  /** True (once) when the outstanding request has outlived its deadline; the caller then calls fail(). */
  fetchLost(nowMs: i64): bool {
    return this.fetching && nowMs >= this.fetchDeadlineMs;
  }

  /** A new token arrived for a request sent at `requestStartMs`. */
  accept(token: string, lifetimeS: i64, requestStartMs: i64, marginS: i64): void {
    this.fetching = false;
    this.failures = 0;
    this.nextAttemptMs = 0;
    this.rejected = "";
    this.set(token, requestStartMs + lifetimeS * 1000, requestStartMs + lifetimeS * 1000 - renewLeadMs(lifetimeS, marginS));
  }

  /** Takes a token another worker fetched (shared data), with its expiry and renewal times. */
  adopt(token: string, expiresAtMs: i64, renewAtMs: i64): void {
    this.set(token, expiresAtMs, renewAtMs);
  }

  /** The outstanding request failed (or was refused): back off. Returns the delay before the next try. */
  fail(nowMs: i64, initialMs: i64, maxMs: i64, rand: u32): i64 {
    this.fetching = false;
    const delay = backoffDelayMs(this.failures, initialMs, maxMs, rand);
    this.failures++;
    this.nextAttemptMs = nowMs + delay;
    return delay;
  }

  /** Edge refused a call made with token `generation`: if that is still the current token, drop it. Returns true if dropped. */
  invalidate(generation: u32): bool {
    if (generation != this.generation || this.token.length == 0) return false;
    this.rejected = this.token;
    this.token = "";
    this.expiresAtMs = 0;
    this.renewAtMs = 0;
    this.generation++;
    return true;
  }

  /**
   * Edge refused token `generation` (401). Drops it if it is still the current one; when a token
   * fetched after an earlier refusal is refused again, the next fetch backs off (so an Edge that
   * refuses every token costs a token request per backoff step, not one per batch).
   * Returns true if the token was dropped.
   */
  refusedByEdge(generation: u32, nowMs: i64, initialMs: i64, maxMs: i64, rand: u32): bool {
    if (!this.invalidate(generation)) return false;
    this.rejections++;
    if (this.rejections > 1) {
      const next = nowMs + backoffDelayMs(this.rejections - 2, initialMs, maxMs, rand);
      if (next > this.nextAttemptMs) this.nextAttemptMs = next;
    }
    return true;
  }

  /** Edge accepted a batch: the token works. */
  acceptedByEdge(): void {
    this.rejections = 0;
  }

  /** Forget everything (the credentials or the auth endpoint changed). */
  reset(): void {
    this.token = "";
    this.rejected = "";
    this.expiresAtMs = 0;
    this.renewAtMs = 0;
    this.fetching = false;
    this.failures = 0;
    this.rejections = 0;
    this.nextAttemptMs = 0;
    this.generation++;
  }

  private set(token: string, expiresAtMs: i64, renewAtMs: i64): void {
    if (token != this.token) this.generation++;
    this.token = token;
    this.expiresAtMs = expiresAtMs;
    this.renewAtMs = renewAtMs;
  }
}
