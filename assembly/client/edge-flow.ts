// The batch flow: queues transactions, posts batches to Edge/Bridge when they are due, acts on Edge's
// answers (sent, retry, re-send with a new token, rejected, gave up) and says what was dropped.
import { WasmResultValues } from "@solo-io/proxy-runtime/assembly";
import { USER_AGENT } from "../version";
import { Config } from "../config/config";
import { logInfo, logWarn, logError } from "../log";
import { Outbox, Batch, DeliverySettings, Outcome } from "./delivery";
import { HeaderList } from "./headers";
import { Rng } from "./rng";
import { LogLimiter } from "./ratelimit";
import { httpCall } from "./hostcalls";
import { PolicyMetrics, M, edgeResponseMetric } from "./metrics";
import { PendingCall, PendingCalls } from "./calls";
import { RefusedCallLog, describeStatus } from "./call-log";
import { TokenFlow } from "./token-flow";
import { RawBytes } from "../raw-bytes";
import { msg } from "../literals";

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

export class EdgeFlow {
  outbox: Outbox;
  private edgeMismatch: LogLimiter = new LogLimiter();

  constructor(
    private config: Config,
    private rng: Rng,
    private metrics: PolicyMetrics,
    private calls: PendingCalls,
    private refusals: RefusedCallLog,
    /** The prefix of every batch id (x-cequence-batch-id). */
    private workerId: string,
    private tokens: TokenFlow,
  ) {
    this.outbox = new Outbox(settingsFrom(config));
  }

  reconfigure(config: Config, now: i64): void {
    this.config = config;
    if (this.outbox.configure(settingsFrom(config)) > 0) this.warnDrops(now);
    this.edgeMismatch.reset();
  }

  /** Takes one serialised transaction (UTF-8 JSON object). Called from stream contexts: queues only. */
  enqueue(transaction: RawBytes, now: i64): void {
    if (this.outbox.enqueue(transaction, now) > 0) this.warnDrops(now);
  }

  /** A record for a transaction of `size` bytes about to be built (Outbox.reserve); warns about drops. */
  reserve(size: i64, now: i64): RawBytes | null {
    const before = this.outbox.queue.dropped;
    const r = this.outbox.reserve(size);
    if (this.outbox.queue.dropped > before) this.warnDrops(now);
    return r;
  }

  /** A captured transaction too large for memory was not built: counted as dropped (queue full by bytes). */
  dropUnfit(now: i64): void {
    this.outbox.dropUnfit();
    this.warnDrops(now);
  }

  /** Gives up what has waited too long, gets a token if one is needed, and posts the batches that are due. */
  pump(now: i64): void {
    const c = this.config;
    const o = this.outbox;

    this.tokens.checkLost(now);

    const exp = o.expire(now, this.rng.nextU32());
    if (exp.lostCalls > 0) {
      this.calls.pruneEdge();
      this.metrics.add(M.EdgeTimeout, <i64>exp.lostCalls); // no answer at all, well past the timeout
    }
    if (exp.gaveUpBatches > 0) {
      logError(msg("Root: gave up on ") + exp.gaveUpBatches.toString() + msg(" batch(es) after ") + (c.retryGiveUpMs / 1000).toString() +
        msg(" s of retries: ") + exp.gaveUpTransactions.toString() + msg(" transaction(s) dropped"));
    }

    if (c.authEnabled && o.hasWork()) this.tokens.ensure(now);
    const canSend = !c.authEnabled || this.tokens.token.usable(now);
    // Bounded loop: each pass either dispatches a batch (at most maxInFlight can be out) or stops.
    for (let i = 0; i <= c.maxInFlightBatches; i++) {
      const b = o.next(now, canSend);
      if (b == null) break;
      if (!this.dispatch(b, now)) break;
    }
  }

  /** Posts batch `b`; false when the host refused the call. */
  private dispatch(b: Batch, now: i64): bool {
    const c = this.config;
    const token = this.tokens.token;
    // No content-length header: the gateway sets the framing of a dispatched call's body itself.
    const h = new HeaderList();
    h.add(msg(":method"), msg("POST")).add(msg(":path"), c.edgePath).add(msg(":authority"), c.edgeAuthority)
      .add(msg("content-type"), msg("application/json")).add(msg("user-agent"), USER_AGENT).add(msg("x-cequence-batch-id"), this.workerId + "-" + b.id.toString());
    if (c.authEnabled) h.add(msg("authorization"), msg("Bearer ") + token.token);
    const r = httpCall(c.edgeCluster, h.serialize(), b.body.ptr, <usize>b.body.len, <u32>c.edgeTimeoutMs);
    if (r.result == WasmResultValues.Ok) {
      this.outbox.dispatched(b, now, r.callId, <i64>c.edgeTimeoutMs, token.generation);
      this.calls.registerEdge(r.callId, b, now);
      if (c.debug) logInfo(msg("Root: sending ") + b.count.toString() + msg(" transaction(s) to edge"));
      return true;
    }
    const outcome = this.outbox.refused(b, now, this.rng.nextU32());
    this.refusals.report(c, r.result, c.edgeCluster, msg("cequence-edge-service"), this.edgeMismatch, now);
    if (outcome == Outcome.GaveUp) {
      logError(msg("Root: gave up on a batch after ") + (c.retryGiveUpMs / 1000).toString() + msg(" s of retries: ") + b.count.toString() + msg(" transaction(s) dropped"));
    }
    return false;
  }

  /** Edge answered call `callId` (`call`) with `status`. */
  onResponse(call: PendingCall, callId: u32, status: u32, now: i64): void {
    this.metrics.add(edgeResponseMetric(status), 1);
    this.metrics.record(M.EdgeRoundTrip, now - call.sentMs);
    const b = call.batch;
    if (b != null) this.onBatchAnswered(b, callId, status, now);
  }

  private onBatchAnswered(b: Batch, callId: u32, status: u32, now: i64): void {
    const c = this.config;
    const token = this.tokens.token;
    const generation = b.tokenGeneration;
    const n = b.count.toString();
    const outcome = this.outbox.complete(b, callId, status, now, c.authEnabled, this.rng.nextU32());
    if (outcome == Outcome.Sent) {
      if (c.authEnabled) token.acceptedByEdge();
      if (c.debug) logInfo(msg("Root: edge callback - ") + n + msg(" transaction(s) sent (status=") + status.toString() + ")");
    } else if (outcome == Outcome.Retry) {
      logError(msg("Root: edge callback - ") + n + msg(" transaction(s) not sent (") + describeStatus(status) + msg("); retrying in ") + b.lastDelayMs.toString() + " ms");
    } else if (outcome == Outcome.GaveUp) {
      logError(msg("Root: edge callback - ") + n + msg(" transaction(s) not sent (") + describeStatus(status) + msg("); gave up after ") +
        (c.retryGiveUpMs / 1000).toString() + msg(" s of retries, ") + n + msg(" transaction(s) dropped"));
    } else if (outcome == Outcome.AuthRetry) {
      token.refusedByEdge(generation, now, <i64>c.retryInitialBackoffMs, <i64>c.retryMaxBackoffMs, this.rng.nextU32());
      logError(msg("Root: edge callback - ") + n + msg(" transaction(s) not sent (status=401); discarding the access token and re-sending once with a new one"));
    } else if (outcome == Outcome.Rejected) {
      let hint = "";
      if (status == 401) {
        hint = c.authEnabled
          ? msg("; Edge refused a fresh token too: check cequenceClientId and cequenceClientSecret")
          : msg("; Edge requires a token: set cequenceAuthEnabled to true with cequenceClientId and cequenceClientSecret");
      }
      logError(msg("Root: edge callback - ") + n + msg(" transaction(s) rejected (status=") + status.toString() + msg("), dropped") + hint);
    }
  }

  /** The queue's drops since the last line, at most one line per Stats interval. */
  warnDrops(now: i64): void {
    const q = this.outbox.queue;
    const n = q.takeDropWarning(now, <i64>this.config.statsIntervalMs);
    if (n == 0) return;
    logWarn(msg("Queue full: dropped ") + n.toString() + msg(" transaction(s) (oldest first; bounds ") + q.maxCount.toString() + msg(" transactions queued, ") +
      q.maxBytes.toString() + msg(" bytes queued and in flight); Edge is slow or unreachable"));
  }
}
