// The token flow: obtains and renews the OAuth2 access token (request, answer, backoff, failure lines),
// shared by the gateway's workers through a lease in proxy-wasm shared data.
//
// One token per gateway, not per worker: workers share it through proxy-wasm shared data (see
// shared-token.ts for the records). A worker needing a token first reads the shared record; if it is
// absent, expired, due for renewal, or the very token Edge just refused, the worker takes a CAS'd lease
// ("fetching until <time>") and only the lease holder asks the token endpoint; the others keep using
// their still-valid token, or wait, and pick the new token up from shared data. After a failure the
// holder extends the lease to the end of its backoff, so all workers back off together. If the host has
// no shared data, each worker falls back to its own token.
import { WasmResultValues } from "@solo-io/proxy-runtime/assembly";
import { BufferTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { USER_AGENT } from "../version";
import { Config } from "../config/config";
import { getBufferBytes } from "../host";
import { logInfo, logWarn, logError } from "../log";
import { LOST_CALL_SLACK_MS } from "./delivery";
import { TokenState, effectiveLifetimeS } from "./token";
import { tokenRequestBody, parseTokenResponse, MAX_TOKEN_RESPONSE_BYTES } from "./oauth";
import { HeaderList } from "./headers";
import { Rng } from "./rng";
import { LogLimiter } from "./ratelimit";
import { sharedKeySuffix, encodeToken, decodeToken, encodeLease, decodeLease } from "./shared-token";
import { httpCall, getSharedData, setSharedData } from "./hostcalls";
import { PolicyMetrics, M } from "./metrics";
import { PendingCall, PendingCalls } from "./calls";
import { RefusedCallLog, describeStatus } from "./call-log";
import { msg } from "../literals";

function authIdentityChanged(a: Config, b: Config): bool {
  return a.authEnabled != b.authEnabled || a.clientId != b.clientId || a.clientSecret != b.clientSecret ||
    a.authPath != b.authPath || a.authAuthority != b.authAuthority || a.authCluster != b.authCluster;
}

export class TokenFlow {
  token: TokenState = new TokenState();
  /** Bumped when the auth settings change: answers to older token requests are ignored. */
  private authEpoch: u32 = 1;
  /** The call id of the outstanding token request (meaningful while token.fetching). */
  private tokenCallId: u32 = 0;
  private sharing: bool = true;
  private tokenKey: string = "";
  private leaseKey: string = "";
  private authMismatch: LogLimiter = new LogLimiter();

  constructor(
    private config: Config,
    private rng: Rng,
    private metrics: PolicyMetrics,
    private calls: PendingCalls,
    private refusals: RefusedCallLog,
    /** The lease owner's name. */
    private workerId: string,
  ) {
    this.computeKeys();
  }

  reconfigure(config: Config): void {
    const old = this.config;
    this.config = config;
    if (authIdentityChanged(old, config)) {
      this.authEpoch++;
      // A token call still out belongs to the old identity: forget it (its answer is ignored anyway).
      this.calls.forget(this.tokenCallId);
      this.token.reset();
      this.computeKeys();
      this.authMismatch.reset();
    }
  }

  /** A token request with no answer well past its timeout is a failure. */
  checkLost(now: i64): void {
    if (!this.token.fetchLost(now)) return;
    this.calls.forget(this.tokenCallId);
    this.failed(now, msg("Token request failed: no answer within ") + this.config.authTimeoutMs.toString() + " ms");
  }

  /** Makes sure a token is usable and not due for renewal: adopts the shared one, or requests one. */
  ensure(now: i64): void {
    const t = this.token;
    if (t.usable(now) && !t.renewDue(now)) return;
    if (this.sharing) {
      this.adoptSharedToken(now);
      if (t.usable(now) && !t.renewDue(now)) return;
    }
    if (!t.mayFetch(now)) return;
    const c = this.config;
    if (this.sharing && !this.acquireLease(now, now + <i64>c.authTimeoutMs + LOST_CALL_SLACK_MS)) return;
    this.fetch(now);
  }

  private fetch(now: i64): void {
    const c = this.config;
    const body = String.UTF8.encode(tokenRequestBody(c.clientId, c.clientSecret));
    const h = new HeaderList();
    h.add(msg(":method"), msg("POST")).add(msg(":path"), c.authPath).add(msg(":authority"), c.authAuthority)
      .add(msg("content-type"), msg("application/x-www-form-urlencoded")).add(msg("accept"), msg("application/json"))
      .add(msg("user-agent"), USER_AGENT);
    const r = httpCall(c.authCluster, h.serialize(), changetype<usize>(body), <usize>body.byteLength, <u32>c.authTimeoutMs);
    this.metrics.add(M.TokenRequests, 1);
    if (r.result == WasmResultValues.Ok) {
      this.token.startFetch(now, now + <i64>c.authTimeoutMs + LOST_CALL_SLACK_MS);
      this.tokenCallId = r.callId;
      this.calls.registerToken(r.callId, this.authEpoch, now);
      return;
    }
    this.metrics.add(M.TokenFailures, 1);
    const delay = this.token.fail(now, <i64>c.retryInitialBackoffMs, <i64>c.retryMaxBackoffMs, this.rng.nextU32());
    this.holdLeaseUntil(now + delay);
    this.refusals.report(c, r.result, c.authCluster, msg("cequence-auth-service"), this.authMismatch, now);
  }

  /** The token endpoint answered call `callId` (`call`) with `status` and a body of `bodySize` bytes. */
  onResponse(call: PendingCall, callId: u32, status: u32, bodySize: u32, now: i64): void {
    // An answer to a request from before a settings change, or one already declared lost: ignored.
    if (call.authEpoch != this.authEpoch || !this.token.fetching || callId != this.tokenCallId) return;
    const c = this.config;
    if (status < 200 || status >= 300) {
      let hint = "";
      if (status == 400 || status == 401) hint = msg("; check cequenceClientId, cequenceClientSecret and cequenceAuthPath");
      else if (status == 404) hint = msg("; check cequenceAuthPath");
      this.failed(now, msg("Token request failed (") + describeStatus(status) + ")" + hint);
      return;
    }
    if (bodySize > <u32>MAX_TOKEN_RESPONSE_BYTES) {
      this.failed(now, msg("Token request failed (status=") + status.toString() + msg("): response body larger than ") + MAX_TOKEN_RESPONSE_BYTES.toString() + msg(" bytes"));
      return;
    }
    let bytes: ArrayBuffer | null = bodySize > 0 ? getBufferBytes(BufferTypeValues.HttpCallResponseBody, 0, bodySize) : new ArrayBuffer(0);
    if (bytes == null) bytes = new ArrayBuffer(0);
    const parsed = parseTokenResponse(Uint8Array.wrap(bytes));
    if (parsed.error.length > 0) {
      // parsed.error never quotes the body (it may hold a token)
      this.failed(now, msg("Token request failed (status=") + status.toString() + "): " + parsed.error);
      return;
    }
    const lifetime = effectiveLifetimeS(parsed.expiresInS, parsed.hasExpiresIn);
    if (this.token.fetchStartedMs + lifetime * 1000 <= now) {
      this.failed(now, msg("Token request failed: the token (expires_in=") + lifetime.toString() + msg(" s) expired before it arrived"));
      return;
    }
    const hadFailures = this.token.failures;
    this.token.accept(parsed.token, lifetime, this.token.fetchStartedMs, <i64>c.tokenRefreshMarginSeconds);
    if (this.sharing) {
      const w = setSharedData(this.tokenKey, encodeToken(this.token.token, this.token.expiresAtMs, this.token.renewAtMs), 0);
      if (w != WasmResultValues.Ok) this.disableSharing(w);
      else this.holdLeaseUntil(0);
    }
    if (hadFailures > 0) logInfo(msg("Token obtained after ") + hadFailures.toString() + msg(" failed attempt(s); valid for ") + lifetime.toString() + " s");
    else if (c.debug) logInfo(msg("Token obtained; valid for ") + lifetime.toString() + " s");
  }

  private failed(now: i64, message: string): void {
    this.metrics.add(M.TokenFailures, 1);
    const c = this.config;
    const delay = this.token.fail(now, <i64>c.retryInitialBackoffMs, <i64>c.retryMaxBackoffMs, this.rng.nextU32());
    this.holdLeaseUntil(now + delay);
    logError(message + msg("; retrying in ") + delay.toString() + " ms");
  }

  // ---- shared token ----

  private computeKeys(): void {
    const c = this.config;
    const suffix = sharedKeySuffix(c.clientId, c.authCluster, c.authAuthority, c.authPath);
    this.tokenKey = msg("cequence.token.") + suffix;
    this.leaseKey = msg("cequence.token-lease.") + suffix;
  }

  private disableSharing(result: i32): void {
    if (!this.sharing) return;
    this.sharing = false;
    logWarn(msg("Shared data unavailable (result=") + result.toString() + msg("): each worker fetches its own token"));
  }

  /** Takes the shared token when it is newer than ours and not the one Edge refused. */
  private adoptSharedToken(now: i64): void {
    const r = getSharedData(this.tokenKey);
    if (r.result == WasmResultValues.NotFound) return;
    if (r.result != WasmResultValues.Ok) { this.disableSharing(r.result); return; }
    const s = decodeToken(r.value);
    if (s == null || now >= s.expiresAtMs) return;
    const t = this.token;
    if (s.token == t.rejected) return;
    if (!t.usable(now) || s.expiresAtMs > t.expiresAtMs) t.adopt(s.token, s.expiresAtMs, s.renewAtMs);
  }

  /**
   * True when this worker may fetch: it now holds the lease until `untilMs`. Takes over the shared
   * failure streak, so the backoff keeps growing whichever worker retries.
   */
  private acquireLease(now: i64, untilMs: i64): bool {
    const r = getSharedData(this.leaseKey);
    let cas: u32 = 0;
    let failures = this.token.failures;
    if (r.result == WasmResultValues.Ok) {
      const l = decodeLease(r.value);
      if (l != null) {
        if (l.untilMs > now && l.owner != this.workerId) return false; // another worker is fetching or backing off
        if (l.failures > failures) failures = l.failures;
      }
      cas = r.cas;
    } else if (r.result != WasmResultValues.NotFound) {
      this.disableSharing(r.result);
      return true;
    }
    const w = setSharedData(this.leaseKey, encodeLease(untilMs, failures, this.workerId), cas);
    if (w == WasmResultValues.CasMismatch) return false;
    if (w != WasmResultValues.Ok) { this.disableSharing(w); return true; }
    if (cas == 0) {
      // Creating the key cannot be CAS'd (cas 0 means unconditional): re-read, the last writer wins.
      const again = getSharedData(this.leaseKey);
      if (again.result == WasmResultValues.Ok) {
        const l = decodeLease(again.value);
        if (l == null || l.owner != this.workerId) return false;
      }
    }
    this.token.failures = failures;
    return true;
  }

  /** If this worker holds the lease, keep others from fetching until `untilMs` (0: release it), recording the failure streak. */
  private holdLeaseUntil(untilMs: i64): void {
    if (!this.sharing) return;
    const r = getSharedData(this.leaseKey);
    if (r.result != WasmResultValues.Ok) return;
    const l = decodeLease(r.value);
    if (l == null || l.owner != this.workerId) return;
    setSharedData(this.leaseKey, encodeLease(untilMs, this.token.failures, this.workerId), r.cas);
  }
}
