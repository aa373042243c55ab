// The Cequence client (glue): runs in each worker's root context, takes serialised transactions from
// the capture side, obtains and renews the OAuth2 token, and posts batches to Edge/Bridge through
// proxy_http_call. The decisions live in pure modules (delivery.ts, token.ts, queue.ts, batch.ts,
// backoff.ts, oauth.ts, shared-token.ts, stats.ts); this file only makes the host calls and logs.
//
// Calls are made only from the root context (onTick, onHttpCallResponse), never from on_configure and
// never from a stream's on_log (enqueue only queues), so every call is owned and answered here.
//
// Token sharing: ON. One token per gateway, not per worker: workers share it through proxy-wasm shared
// data (see shared-token.ts for the records). A worker needing a token first reads the shared record;
// if it is absent, expired, due for renewal, or the very token Edge just refused, the worker takes a
// CAS'd lease ("fetching until <time>") and only the lease holder asks the token endpoint; the others
// keep using their still-valid token, or wait, and pick the new token up from shared data. After a
// failure the holder extends the lease to the end of its backoff, so all workers back off together.
// If the host has no shared data, each worker falls back to its own token.
import { POLICY_VERSION } from "../version";
import { captureCounts } from "../capture/counters";
import { RootContext, WasmResultValues } from "@solo-io/proxy-runtime/assembly";
import { BufferTypeValues, HeaderMapTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { Config } from "../config/config";
import { nowMillis, nowNanos, getBufferBytes, getHeaderValue } from "../host";
import { logInfo, logWarn, logError } from "../log";
import { Outbox, Batch, BatchState, DeliverySettings, Outcome, LOST_CALL_SLACK_MS } from "./delivery";
import { TokenState, effectiveLifetimeS } from "./token";
import { tokenRequestBody, parseTokenResponse, MAX_TOKEN_RESPONSE_BYTES } from "./oauth";
import { HeaderList } from "./headers";
import { Rng, mix64 } from "./rng";
import { LogLimiter } from "./ratelimit";
import { sharedKeySuffix, encodeToken, decodeToken, encodeLease, decodeLease, hex32 } from "./shared-token";
import { httpCall, getSharedData, setSharedData, hostRandom64, HostMetricSink } from "./hostcalls";
import { PolicyMetrics, M, edgeResponseMetric } from "./metrics";

/** Tick period: fine enough for the flush interval (>= 100 ms) and retry timing, cheap per worker. */
const TICK_MS: u32 = 100;
// No content-length header: the gateway sets the framing of a dispatched call's body itself.
const USER_AGENT = "cequence-flex-gateway-policy/" + POLICY_VERSION;

const CALL_TOKEN: i32 = 1;
const CALL_EDGE: i32 = 2;

class PendingCall {
  constructor(public kind: i32, public batch: Batch | null, public authEpoch: u32, public sentMs: i64) {}
}

// What the capture controls left out is counted per VM (captureCounts), and a VM can hold two root
// contexts for a moment (Envoy keeps the VM across a configuration change and replaces the root
// context): the increase is claimed by whichever client pushes metrics first, so none counts it twice.
let claimedExcluded: u64 = 0;
let claimedBodiesSkipped: u64 = 0;

function settingsFrom(c: Config): DeliverySettings {
  const s = new DeliverySettings();
  s.batchMaxTransactions = c.batchMaxTransactions;
  s.batchMaxBytes = <i64>c.batchMaxBytes;
  s.flushIntervalMs = <i64>c.flushIntervalMs;
  s.queueMaxTransactions = c.queueMaxTransactions;
  s.queueMaxBytes = <i64>c.queueMaxBytes;
  s.maxInFlight = c.maxInFlightBatches;
  s.retryInitialMs = <i64>c.retryInitialBackoffMs;
  s.retryMaxMs = <i64>c.retryMaxBackoffMs;
  s.giveUpMs = <i64>c.retryGiveUpMs;
  return s;
}

function authIdentityChanged(a: Config, b: Config): bool {
  return a.authEnabled != b.authEnabled || a.clientId != b.clientId || a.clientSecret != b.clientSecret ||
    a.authPath != b.authPath || a.authAuthority != b.authAuthority || a.authCluster != b.authCluster;
}

function parseStatus(v: ArrayBuffer | null): u32 {
  if (v == null) return 0;
  const b = Uint8Array.wrap(v);
  if (b.length == 0 || b.length > 3) return 0;
  let s: u32 = 0;
  for (let i = 0; i < b.length; i++) {
    const c = <u32>b[i];
    if (c < 0x30 || c > 0x39) return 0;
    s = s * 10 + (c - 0x30);
  }
  return s;
}

function describeStatus(status: u32): string {
  if (status == 0) return "status=0, connection reset or no response";
  if (status == 503) return "status=503, unavailable or connect failure";
  if (status == 504) return "status=504, timeout";
  return "status=" + status.toString();
}

/** What the capture controls left out (not part of the delivery balance: never captured). */
function captureLine(): string {
  return " excluded=" + captureCounts.excluded.toString() + " bodies_skipped=" + captureCounts.bodiesSkipped.toString();
}

export class CequenceClient {
  outbox: Outbox;
  token: TokenState = new TokenState();
  private rng: Rng;
  private calls: Map<u32, PendingCall> = new Map<u32, PendingCall>();
  /** Bumped when the auth settings change: answers to older token requests are ignored. */
  private authEpoch: u32 = 1;
  /** The call id of the outstanding token request (meaningful while token.fetching). */
  private tokenCall: u32 = 0;
  private workerId: string;
  private sharing: bool = true;
  private tokenKey: string = "";
  private leaseKey: string = "";
  private lastStatsMs: i64;
  private capturing: bool = true;
  private edgeMismatch: LogLimiter = new LogLimiter();
  private authMismatch: LogLimiter = new LogLimiter();
  private dispatchError: LogLimiter = new LogLimiter();
  /** The proxy-wasm metrics, pushed on each tick (see metrics.ts). */
  metrics: PolicyMetrics;
  /** Transactions still queued or in flight when the root context was torn down. */
  private droppedAtShutdown: u64 = 0;
  private shutDown: bool = false;

  constructor(public root: RootContext, public config: Config) {
    const now = nowMillis();
    // Seeded from the host's random source (workers start at nearly the same instant, so the clock
    // alone could give two workers the same id), mixed with the clock in case it is unavailable.
    const rng = new Rng(hostRandom64() ^ mix64(nowNanos()) ^ (<u64>root.context_id << 32));
    this.rng = rng;
    this.outbox = new Outbox(settingsFrom(config));
    this.workerId = hex32(rng.nextU32()) + hex32(rng.nextU32());
    this.lastStatsMs = now;
    const m = new PolicyMetrics(new HostMetricSink());
    this.metrics = m;
    this.computeKeys();
    if (m.refusedDefinitions > 0) {
      logWarn("Metrics: the gateway refused " + m.refusedDefinitions.toString() + " of " + (<i32>M.COUNT).toString() +
        " metric definition(s) (first " + m.firstRefused + ", result=" + m.firstRefusedResult.toString() +
        "); those are not reported, the Stats line still counts everything");
    }
  }

  /** Takes one serialised transaction (UTF-8 JSON object). Called from stream contexts: queues only. */
  /** A captured transaction too large for memory was not built: counted as dropped (queue full by bytes). */
  dropUnfit(): void {
    const now = nowMillis();
    this.outbox.dropUnfit();
    this.warnDrops(now);
  }

  enqueue(transaction: ArrayBuffer): void {
    const now = nowMillis();
    if (this.outbox.enqueue(transaction, now) > 0) this.warnDrops(now);
  }

  reconfigure(config: Config): void {
    const old = this.config;
    this.config = config;
    this.capturing = true;
    const now = nowMillis();
    if (this.outbox.configure(settingsFrom(config)) > 0) this.warnDrops(now);
    if (authIdentityChanged(old, config)) {
      this.authEpoch++;
      // A token call still out belongs to the old identity: forget it (its answer is ignored anyway).
      if (this.calls.has(this.tokenCall)) this.calls.delete(this.tokenCall);
      this.token.reset();
      this.computeKeys();
      this.authMismatch.reset();
    }
    this.edgeMismatch.reset();
    this.dispatchError.reset();
  }

  /**
   * The new configuration is invalid: streams are no longer captured (the root hands out pass-through
   * contexts). What is already queued is still delivered with the last valid settings.
   */
  stopCapture(): void {
    this.capturing = false;
  }

  /**
   * The root context is being torn down: nothing more will be sent. Logs the final counters, naming
   * what is still queued or in flight and is lost with the worker's VM, so that nothing goes silently.
   */
  shutdown(): void {
    const o = this.outbox;
    const queued = <u64>o.queue.count;
    const inFlight = o.inFlightTransactions();
    const line = o.counters.line(queued, o.queue.queuedBytes, inFlight, o.batches.length, o.waitingBatches()) + captureLine();
    // The metrics: what is lost is a drop (reason shutdown), and this worker's share of the gauges goes.
    if (!this.shutDown) {
      this.shutDown = true;
      this.droppedAtShutdown = queued + inFlight;
      this.pushMetrics();
    }
    if (queued + inFlight > 0) {
      logWarn("Shutting down: " + (queued + inFlight).toString() + " transaction(s) queued or in flight are not sent; " + line);
    } else {
      logInfo("Shutting down: every captured transaction was sent or counted as dropped; " + line);
    }
  }

  tickPeriodMs(): u32 {
    return TICK_MS;
  }

  onTick(): void {
    const now = nowMillis();
    // A full collection each tick: the incremental collector alone lets garbage (assembled batches,
    // dropped transactions) pile up to several times the queue bound during an outage, and the
    // allocator doubles linear memory, which never shrinks. Measured by `npm run bench:memory`.
    // It runs before pump() so that the batch assembled next finds the freed blocks.
    __collect();
    this.pump(now);
    this.warnDrops(now);
    this.pushMetrics();
    const c = this.config;
    if (now - this.lastStatsMs >= <i64>c.statsIntervalMs) {
      this.lastStatsMs = now;
      const o = this.outbox;
      logInfo(o.counters.line(<u64>o.queue.count, o.queue.queuedBytes, o.inFlightTransactions(), o.batches.length, o.waitingBatches()) + captureLine() +
        (this.capturing ? "" : " (capture stopped: invalid configuration)"));
    }
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32): void {
    if (!this.calls.has(token)) return;
    const call = this.calls.get(token);
    this.calls.delete(token);
    const now = nowMillis();
    const status = numHeaders == 0 ? <u32>0 : parseStatus(getHeaderValue(HeaderMapTypeValues.HttpCallResponseHeaders, ":status"));
    if (call.kind == CALL_TOKEN) {
      this.onTokenResponse(call, token, status, bodySize, now);
    } else {
      this.metrics.add(edgeResponseMetric(status), 1);
      this.metrics.record(M.EdgeRoundTrip, now - call.sentMs);
      const b = call.batch;
      if (b != null) this.onEdgeResponse(b, token, status, now);
    }
    this.pump(now);
  }

  // ---- delivery ----

  private pump(now: i64): void {
    const c = this.config;
    const o = this.outbox;

    if (this.token.fetchLost(now)) {
      this.calls.delete(this.tokenCall);
      this.tokenFailed(now, "Token request failed: no answer within " + c.authTimeoutMs.toString() + " ms");
    }

    const exp = o.expire(now, this.rng.nextU32());
    if (exp.lostCalls > 0) {
      this.pruneCalls();
      this.metrics.add(M.EdgeTimeout, <i64>exp.lostCalls); // no answer at all, well past the timeout
    }
    if (exp.gaveUpBatches > 0) {
      logError("Root: gave up on " + exp.gaveUpBatches.toString() + " batch(es) after " + (c.retryGiveUpMs / 1000).toString() +
        " s of retries: " + exp.gaveUpTransactions.toString() + " transaction(s) dropped");
    }

    if (c.authEnabled && o.hasWork()) this.ensureToken(now);
    const canSend = !c.authEnabled || this.token.usable(now);
    // Bounded loop: each pass either dispatches a batch (at most maxInFlight can be out) or stops.
    for (let i = 0; i <= c.maxInFlightBatches; i++) {
      const b = o.next(now, canSend);
      if (b == null) break;
      if (!this.dispatchEdge(b, now)) break;
    }
  }

  /** Posts batch `b`; false when the host refused the call. */
  private dispatchEdge(b: Batch, now: i64): bool {
    const c = this.config;
    const h = new HeaderList();
    h.add(":method", "POST").add(":path", c.edgePath).add(":authority", c.edgeAuthority)
      .add("content-type", "application/json").add("user-agent", USER_AGENT).add("x-cequence-batch-id", this.workerId + "-" + b.id.toString());
    if (c.authEnabled) h.add("authorization", "Bearer " + this.token.token);
    const r = httpCall(c.edgeCluster, h.serialize(), b.body, <u32>c.edgeTimeoutMs);
    if (r.result == WasmResultValues.Ok) {
      this.outbox.dispatched(b, now, r.token, <i64>c.edgeTimeoutMs, this.token.generation);
      this.calls.set(r.token, new PendingCall(CALL_EDGE, b, this.authEpoch, now));
      if (c.debug) logInfo("Root: sending " + b.count.toString() + " transaction(s) to edge");
      return true;
    }
    const outcome = this.outbox.refused(b, now, this.rng.nextU32());
    this.reportRefusedCall(r.result, c.edgeCluster, "cequence-edge-service", this.edgeMismatch, now);
    if (outcome == Outcome.GaveUp) {
      logError("Root: gave up on a batch after " + (c.retryGiveUpMs / 1000).toString() + " s of retries: " + b.count.toString() + " transaction(s) dropped");
    }
    return false;
  }

  private onEdgeResponse(b: Batch, callToken: u32, status: u32, now: i64): void {
    const c = this.config;
    const generation = b.tokenGeneration;
    const n = b.count.toString();
    const outcome = this.outbox.complete(b, callToken, status, now, c.authEnabled, this.rng.nextU32());
    if (outcome == Outcome.Sent) {
      if (c.authEnabled) this.token.acceptedByEdge();
      if (c.debug) logInfo("Root: edge callback - " + n + " transaction(s) sent (status=" + status.toString() + ")");
    } else if (outcome == Outcome.Retry) {
      logError("Root: edge callback - " + n + " transaction(s) not sent (" + describeStatus(status) + "); retrying in " + b.lastDelayMs.toString() + " ms");
    } else if (outcome == Outcome.GaveUp) {
      logError("Root: edge callback - " + n + " transaction(s) not sent (" + describeStatus(status) + "); gave up after " +
        (c.retryGiveUpMs / 1000).toString() + " s of retries, " + n + " transaction(s) dropped");
    } else if (outcome == Outcome.AuthRetry) {
      this.token.refusedByEdge(generation, now, <i64>c.retryInitialBackoffMs, <i64>c.retryMaxBackoffMs, this.rng.nextU32());
      logError("Root: edge callback - " + n + " transaction(s) not sent (status=401); discarding the access token and re-sending once with a new one");
    } else if (outcome == Outcome.Rejected) {
      let hint = "";
      if (status == 401) {
        hint = c.authEnabled
          ? "; Edge refused a fresh token too: check cequenceClientId and cequenceClientSecret"
          : "; Edge requires a token: set cequenceAuthEnabled to true with cequenceClientId and cequenceClientSecret";
      }
      logError("Root: edge callback - " + n + " transaction(s) rejected (status=" + status.toString() + "), dropped" + hint);
    }
  }

  /** Forgets calls whose batch is no longer waiting for that call (declared lost by expire()). */
  private pruneCalls(): void {
    const keys = this.calls.keys();
    for (let i = 0; i < keys.length; i++) {
      const call = this.calls.get(keys[i]);
      if (call.kind != CALL_EDGE) continue;
      const b = call.batch;
      if (b == null || b.callToken != keys[i] || b.state != BatchState.InFlight) this.calls.delete(keys[i]);
    }
  }

  private reportRefusedCall(result: i32, cluster: string, service: string, limiter: LogLimiter, now: i64): void {
    const interval = <i64>this.config.statsIntervalMs;
    if (result == WasmResultValues.BadArgument) {
      if (!limiter.allow(now, interval)) return;
      const more = limiter.takeSuppressed();
      logError("serviceNamespace mismatch: the gateway has no cluster " + cluster + " (the " + service +
        " Service in namespace \"" + this.config.serviceNamespace + "\"); serviceNamespace must equal the Services' metadata.namespace. " +
        "Transactions stay queued (bounded; the oldest are dropped when full)" +
        (more > 0 ? " [" + more.toString() + " similar refusals since the last line]" : ""));
      return;
    }
    if (!this.dispatchError.allow(now, interval)) return;
    const more = this.dispatchError.takeSuppressed();
    logError("Root: the gateway refused a call to " + cluster + " (proxy_http_call result=" + result.toString() + ")" +
      (more > 0 ? " [" + more.toString() + " similar refusals since the last line]" : ""));
  }

  // ---- token ----

  private ensureToken(now: i64): void {
    const t = this.token;
    if (t.usable(now) && !t.renewDue(now)) return;
    if (this.sharing) {
      this.adoptSharedToken(now);
      if (t.usable(now) && !t.renewDue(now)) return;
    }
    if (!t.mayFetch(now)) return;
    const c = this.config;
    if (this.sharing && !this.acquireLease(now, now + <i64>c.authTimeoutMs + LOST_CALL_SLACK_MS)) return;
    this.fetchToken(now);
  }

  private fetchToken(now: i64): void {
    const c = this.config;
    const body = String.UTF8.encode(tokenRequestBody(c.clientId, c.clientSecret));
    const h = new HeaderList();
    h.add(":method", "POST").add(":path", c.authPath).add(":authority", c.authAuthority)
      .add("content-type", "application/x-www-form-urlencoded").add("accept", "application/json")
      .add("user-agent", USER_AGENT);
    const r = httpCall(c.authCluster, h.serialize(), body, <u32>c.authTimeoutMs);
    this.metrics.add(M.TokenRequests, 1);
    if (r.result == WasmResultValues.Ok) {
      this.token.startFetch(now, now + <i64>c.authTimeoutMs + LOST_CALL_SLACK_MS);
      this.tokenCall = r.token;
      this.calls.set(r.token, new PendingCall(CALL_TOKEN, null, this.authEpoch, now));
      return;
    }
    this.metrics.add(M.TokenFailures, 1);
    const delay = this.token.fail(now, <i64>c.retryInitialBackoffMs, <i64>c.retryMaxBackoffMs, this.rng.nextU32());
    this.holdLeaseUntil(now + delay);
    this.reportRefusedCall(r.result, c.authCluster, "cequence-auth-service", this.authMismatch, now);
  }

  private onTokenResponse(call: PendingCall, callToken: u32, status: u32, bodySize: u32, now: i64): void {
    // An answer to a request from before a settings change, or one already declared lost: ignored.
    if (call.authEpoch != this.authEpoch || !this.token.fetching || callToken != this.tokenCall) return;
    const c = this.config;
    if (status < 200 || status >= 300) {
      let hint = "";
      if (status == 400 || status == 401) hint = "; check cequenceClientId, cequenceClientSecret and cequenceAuthPath";
      else if (status == 404) hint = "; check cequenceAuthPath";
      this.tokenFailed(now, "Token request failed (" + describeStatus(status) + ")" + hint);
      return;
    }
    if (bodySize > <u32>MAX_TOKEN_RESPONSE_BYTES) {
      this.tokenFailed(now, "Token request failed (status=" + status.toString() + "): response body larger than " + MAX_TOKEN_RESPONSE_BYTES.toString() + " bytes");
      return;
    }
    let bytes: ArrayBuffer | null = bodySize > 0 ? getBufferBytes(BufferTypeValues.HttpCallResponseBody, 0, bodySize) : new ArrayBuffer(0);
    if (bytes == null) bytes = new ArrayBuffer(0);
    const parsed = parseTokenResponse(Uint8Array.wrap(bytes));
    if (parsed.error.length > 0) {
      // parsed.error never quotes the body (it may hold a token)
      this.tokenFailed(now, "Token request failed (status=" + status.toString() + "): " + parsed.error);
      return;
    }
    const lifetime = effectiveLifetimeS(parsed.expiresInS, parsed.hasExpiresIn);
    if (this.token.fetchStartedMs + lifetime * 1000 <= now) {
      this.tokenFailed(now, "Token request failed: the token (expires_in=" + lifetime.toString() + " s) expired before it arrived");
      return;
    }
    const hadFailures = this.token.failures;
    this.token.accept(parsed.token, lifetime, this.token.fetchStartedMs, <i64>c.tokenRefreshMarginSeconds);
    if (this.sharing) {
      const w = setSharedData(this.tokenKey, encodeToken(this.token.token, this.token.expiresAtMs, this.token.renewAtMs), 0);
      if (w != WasmResultValues.Ok) this.disableSharing(w);
      else this.holdLeaseUntil(0);
    }
    if (hadFailures > 0) logInfo("Token obtained after " + hadFailures.toString() + " failed attempt(s); valid for " + lifetime.toString() + " s");
    else if (c.debug) logInfo("Token obtained; valid for " + lifetime.toString() + " s");
  }

  private tokenFailed(now: i64, message: string): void {
    this.metrics.add(M.TokenFailures, 1);
    const c = this.config;
    const delay = this.token.fail(now, <i64>c.retryInitialBackoffMs, <i64>c.retryMaxBackoffMs, this.rng.nextU32());
    this.holdLeaseUntil(now + delay);
    logError(message + "; retrying in " + delay.toString() + " ms");
  }

  // ---- shared token ----

  private computeKeys(): void {
    const c = this.config;
    const suffix = sharedKeySuffix(c.clientId, c.authCluster, c.authAuthority, c.authPath);
    this.tokenKey = "cequence.token." + suffix;
    this.leaseKey = "cequence.token-lease." + suffix;
  }

  private disableSharing(result: i32): void {
    if (!this.sharing) return;
    this.sharing = false;
    logWarn("Shared data unavailable (result=" + result.toString() + "): each worker fetches its own token");
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

  // ---- metrics ----

  /** Sets every metric from the module's own counts and pushes what changed (no host call when nothing did). */
  private pushMetrics(): void {
    const o = this.outbox;
    const c = o.counters;
    const q = o.queue;
    const m = this.metrics;
    m.set(M.Captured, <i64>c.captured);
    m.set(M.Sent, <i64>c.sent);
    m.set(M.Dropped, <i64>(c.dropped + this.droppedAtShutdown));
    m.set(M.DroppedQueueFullCount, <i64>q.droppedOverCount);
    m.set(M.DroppedQueueFullBytes, <i64>q.droppedOverBytes);
    m.set(M.DroppedGaveUp, <i64>c.droppedGaveUp);
    m.set(M.DroppedShutdown, <i64>(q.droppedResized + this.droppedAtShutdown));
    m.set(M.DroppedRejected, <i64>c.droppedRejected);
    m.add(M.Excluded, <i64>(captureCounts.excluded - claimedExcluded));
    claimedExcluded = captureCounts.excluded;
    m.add(M.BodiesSkipped, <i64>(captureCounts.bodiesSkipped - claimedBodiesSkipped));
    claimedBodiesSkipped = captureCounts.bodiesSkipped;
    const live = !this.shutDown;
    m.set(M.QueueTransactions, live ? <i64>q.count : 0);
    m.set(M.QueueBytes, live ? q.queuedBytes : 0);
    m.set(M.InFlightTransactions, live ? <i64>o.inFlightTransactions() : 0);
    m.set(M.InFlightBatches, live ? <i64>o.batches.length : 0);
    m.flush();
    const refused = m.takeUpdateRefusal();
    if (refused.length > 0) {
      logWarn("Metrics: the gateway refused an update of " + refused + "; that metric is no longer updated (the Stats line still counts it)");
    }
  }

  // ---- logs ----

  private warnDrops(now: i64): void {
    const q = this.outbox.queue;
    const n = q.takeDropWarning(now, <i64>this.config.statsIntervalMs);
    if (n == 0) return;
    logWarn("Queue full: dropped " + n.toString() + " transaction(s) (oldest first; bounds " + q.maxCount.toString() + " transactions queued, " +
      q.maxBytes.toString() + " bytes queued and in flight); Edge is slow or unreachable");
  }
}
