// Delivery state machine: when to form a batch, how many are out at once, what happens after each
// answer (sent, retried with backoff, given up, rejected, re-sent once after a 401). Pure: the glue
// (edge-flow.ts) performs the HTTP calls and reports their results here.
//
// A batch, once formed, holds one of `maxInFlight` slots until it is resolved, including while it
// waits for a retry, so at most `maxInFlight` batches exist outside the queue. While any batch waits
// for a retry (Edge unhealthy), no new batch is formed: the retries probe Edge, and new transactions
// wait in the bounded queue, where the oldest are dropped (and counted) when it is full.
import { TxQueue } from "./queue";
import { Counters } from "./stats";
import { planBatch, fullBatchReady, assembleFromQueue, assembleBatch, newRecord, frameAlone } from "./batch";
import { Arena } from "../arena";
import { backoffDelayMs } from "./backoff";
import { RawBytes } from "../raw-bytes";

/** Extra time past a call's own timeout before an unanswered call is treated as lost. */
export const LOST_CALL_SLACK_MS: i64 = 5000;

export enum EdgeStatusClass { Sent = 0, Retry = 1, Unauthorized = 2, Reject = 3 }

/**
 * 2xx: sent. 401: unauthorized (new token, re-send once). 0 (reset, no response), 408, 429 and 5xx
 * (including the host's 503 connect failure and 504 timeout): retried. Any other status: rejected.
 */
export function classifyEdgeStatus(status: u32): EdgeStatusClass {
  if (status >= 200 && status < 300) return EdgeStatusClass.Sent;
  if (status == 401) return EdgeStatusClass.Unauthorized;
  if (status == 0 || status == 408 || status == 429 || (status >= 500 && status < 600)) return EdgeStatusClass.Retry;
  return EdgeStatusClass.Reject;
}

export enum Outcome { Sent = 0, Retry = 1, GaveUp = 2, Rejected = 3, AuthRetry = 4, Stale = 5 }

export enum BatchState { Waiting = 0, InFlight = 1 }

export class Batch {
  state: BatchState = BatchState.Waiting;
  /** -1 until the first attempt. */
  firstAttemptMs: i64 = -1;
  attempts: i32 = 0;
  nextAttemptMs: i64 = 0;
  callId: u32 = 0;
  callDeadlineMs: i64 = 0;
  /** Set after one 401: a second one drops the batch. */
  authRetried: bool = false;
  /** Token generation the last attempt carried (a 401 only discards that token). */
  tokenGeneration: u32 = 0;
  /** Delay chosen after the last failure (for the log line). */
  lastDelayMs: i64 = 0;
  /** The batch document, in a block this batch owns until it is resolved. */
  constructor(public id: u32, public body: RawBytes, public count: i32, public txBytes: i64) {}
}

export class DeliverySettings {
  batchMaxTransactions: i32 = 200;
  batchMaxBytes: i64 = 1048576;
  flushIntervalMs: i64 = 1000;
  queueMaxTransactions: i32 = 5000;
  queueMaxBytes: i64 = 4194304;
  maxInFlight: i32 = 2;
  retryInitialMs: i64 = 500;
  retryMaxMs: i64 = 30000;
  giveUpMs: i64 = 600000;

  /**
   * The batch byte limit actually used: the configured one, but no more than the queue byte bound
   * split over the in-flight slots plus one, so batches out for delivery cannot take the whole byte
   * budget and starve the queue.
   */
  effectiveBatchBytes(): i64 {
    let share = this.queueMaxBytes / <i64>(this.maxInFlight + 1);
    if (share < 1024) share = 1024;
    return this.batchMaxBytes < share ? this.batchMaxBytes : share;
  }

  /**
   * The queue's arena: the byte bound plus each record's framing and block header (for up to 8192
   * records; past that, records beyond it may find no room and are dropped, counted). A batch being
   * copied while its transactions are still queued takes what is free (see next()).
   */
  arenaBytes(): i32 {
    const records = this.queueMaxTransactions < 8192 ? this.queueMaxTransactions : 8192;
    return <i32>(this.queueMaxBytes + <i64>records * 32 + 65536);
  }
}

export class ExpireResult {
  lostCalls: i32 = 0;
  gaveUpBatches: i32 = 0;
  gaveUpTransactions: i64 = 0;
}

export class Outbox {
  queue: TxQueue;
  /** Where the queue's transactions and the batches out for delivery live (taken at first use). */
  private region: Arena | null = null;
  counters: Counters = new Counters();
  batches: Array<Batch> = new Array<Batch>();
  private nextId: u32 = 1;

  constructor(public settings: DeliverySettings) {
    this.queue = new TxQueue(settings.queueMaxTransactions, settings.queueMaxBytes);
  }

  /** New settings; the queue is trimmed to new bounds (drops counted). Returns the number dropped. */
  configure(settings: DeliverySettings): i32 {
    const r = this.region;
    if (r != null && r.bytes != settings.arenaBytes()) {
      r.retire(); // given back once the transactions and batches in it are gone
      this.region = null;
    }
    this.settings = settings;
    const dropped = this.queue.setLimits(settings.queueMaxTransactions, settings.queueMaxBytes);
    this.counters.droppedQueueFull += <u64>dropped;
    return dropped;
  }

  /** One serialised transaction from the capture side (the queue takes its block). Returns how many were dropped to make room. */
  enqueue(tx: RawBytes, nowMs: i64): i32 {
    this.counters.captured++;
    const dropped = this.queue.push(tx, nowMs);
    this.counters.droppedQueueFull += <u64>dropped;
    return dropped;
  }

  private arena(): Arena {
    let r = this.region;
    if (r == null) {
      r = new Arena(this.settings.arenaBytes());
      this.region = r;
    }
    return r;
  }

  /**
   * A record for a transaction of `size` bytes about to be built, room made first: the oldest dropped
   * for the byte and count bounds (makeRoom), then for the arena's room if it is cut up. Null: no room
   * (too large, or held by batches in flight); the caller counts it with dropUnfit.
   */
  reserve(size: i64): RawBytes | null {
    if (!this.makeRoom(size)) return null;
    const arena = this.arena();
    let r = newRecord(arena, <i32>size);
    while (r == null && this.queue.count > 0) {
      this.queue.dropOldestForRoom();
      this.counters.droppedQueueFull++;
      r = newRecord(arena, <i32>size);
    }
    return r;
  }

  /** TxQueue.makeRoom, with the drops counted. */
  makeRoom(size: i64): bool {
    const before = this.queue.dropped;
    const ok = this.queue.makeRoom(size);
    this.counters.droppedQueueFull += this.queue.dropped - before;
    return ok;
  }

  /** Counts a transaction captured and at once dropped by the byte bound, never built (see TxQueue.dropUnfit). */
  dropUnfit(): void {
    this.counters.captured++;
    this.counters.droppedQueueFull++;
    this.queue.dropUnfit();
  }

  /** Frees every block held (the root is shutting down); the counts stay as they were, for its last line. */
  discard(): void {
    this.queue.discard();
    for (let i = 0; i < this.batches.length; i++) this.batches[i].body.free();
    const r = this.region;
    if (r != null) r.retire();
    this.region = null;
  }

  inFlightTransactions(): u64 {
    let n: u64 = 0;
    for (let i = 0; i < this.batches.length; i++) n += <u64>this.batches[i].count;
    return n;
  }

  waitingBatches(): i32 {
    let n = 0;
    for (let i = 0; i < this.batches.length; i++) if (this.batches[i].state == BatchState.Waiting) n++;
    return n;
  }

  /** Anything to deliver (queued or out in a batch). */
  hasWork(): bool {
    return this.queue.count > 0 || this.batches.length > 0;
  }

  balanced(): bool {
    return this.counters.balanced(<u64>this.queue.count, this.inFlightTransactions());
  }

  /**
   * The next batch to post now, or null. `canSend` is false while no usable token exists (auth on):
   * then nothing is posted and new transactions stay queued. A returned batch must be passed to
   * dispatched() or refused() before calling next() again.
   */
  next(nowMs: i64, canSend: bool): Batch | null {
    if (!canSend) return null;
    let due: Batch | null = null;
    let anyWaiting = false;
    for (let i = 0; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.state != BatchState.Waiting) continue;
      anyWaiting = true;
      if (b.nextAttemptMs <= nowMs && (due == null || b.nextAttemptMs < due.nextAttemptMs)) due = b;
    }
    if (due != null) return due;
    if (anyWaiting || this.batches.length >= this.settings.maxInFlight) return null;
    const q = this.queue;
    if (q.count == 0) return null;
    const maxBytes = this.settings.effectiveBatchBytes();
    const ready = fullBatchReady(q, this.settings.batchMaxTransactions, maxBytes) ||
      nowMs - q.oldestTimeMs() >= this.settings.flushIntervalMs;
    if (!ready) return null;
    let n = planBatch(q, this.settings.batchMaxTransactions, maxBytes);
    // Several transactions: copied into one document in the arena, as many as its largest free block
    // holds (a full queue has little: batches grow again as it drains). One: posted from its own record.
    const arena = this.arena();
    if (n > 1) {
      const room = <i64>arena.largestFree();
      if (room < maxBytes) n = planBatch(q, this.settings.batchMaxTransactions, room);
    }
    let body: RawBytes | null = n > 1 ? assembleFromQueue(q, n, arena) : null;
    let bytes: i64 = 0;
    if (body != null) {
      bytes = q.takeFront(n);
    } else {
      n = 1;
      const r = q.takeFrontRecord();
      bytes = <i64>r.len;
      if (frameAlone(r)) {
        body = r;
      } else {
        // Not kept in a framed record (the pure tests feed plain blocks): a document of its own.
        body = assembleBatch([r]);
        r.free();
      }
    }
    const b = new Batch(this.nextId++, body, n, bytes);
    b.nextAttemptMs = nowMs;
    this.batches.push(b);
    return b;
  }

  /** The post of `b` was handed to the host as call `callId`, carrying token generation `tokenGeneration`. */
  dispatched(b: Batch, nowMs: i64, callId: u32, timeoutMs: i64, tokenGeneration: u32): void {
    b.state = BatchState.InFlight;
    b.attempts++;
    if (b.firstAttemptMs < 0) b.firstAttemptMs = nowMs;
    b.callId = callId;
    b.callDeadlineMs = nowMs + timeoutMs + LOST_CALL_SLACK_MS;
    b.tokenGeneration = tokenGeneration;
  }

  /** The host refused to start the post (e.g. unknown cluster): a failed attempt. Retry or GaveUp. */
  refused(b: Batch, nowMs: i64, rand: u32): Outcome {
    b.attempts++;
    if (b.firstAttemptMs < 0) b.firstAttemptMs = nowMs;
    return this.failed(b, nowMs, rand);
  }

  /** Edge answered call `callId` of batch `b` with `status` (0: reset, no response). */
  complete(b: Batch, callId: u32, status: u32, nowMs: i64, authEnabled: bool, rand: u32): Outcome {
    if (b.state != BatchState.InFlight || b.callId != callId || !this.holds(b)) return Outcome.Stale;
    const cls = classifyEdgeStatus(status);
    if (cls == EdgeStatusClass.Sent) {
      this.counters.sent += <u64>b.count;
      this.resolve(b);
      return Outcome.Sent;
    }
    if (cls == EdgeStatusClass.Retry) return this.failed(b, nowMs, rand);
    if (cls == EdgeStatusClass.Unauthorized && authEnabled && !b.authRetried) {
      b.authRetried = true;
      b.state = BatchState.Waiting;
      b.nextAttemptMs = nowMs; // as soon as a new token is there
      return Outcome.AuthRetry;
    }
    this.counters.droppedRejected += <u64>b.count;
    this.resolve(b);
    return Outcome.Rejected;
  }

  /**
   * Housekeeping: a call unanswered well past its timeout counts as a failed attempt (retried), and a
   * batch that has been waiting (e.g. for a token) past the give-up age is given up.
   */
  expire(nowMs: i64, rand: u32): ExpireResult {
    const r = new ExpireResult();
    // Walk a copy: failed()/resolve() may remove entries.
    const list = this.batches.slice(0);
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (b.state == BatchState.InFlight && nowMs >= b.callDeadlineMs) {
        r.lostCalls++;
        if (this.failed(b, nowMs, rand) == Outcome.GaveUp) {
          r.gaveUpBatches++;
          r.gaveUpTransactions += <i64>b.count;
        }
      } else if (b.state == BatchState.Waiting && b.firstAttemptMs >= 0 && nowMs - b.firstAttemptMs >= this.settings.giveUpMs) {
        this.giveUp(b);
        r.gaveUpBatches++;
        r.gaveUpTransactions += <i64>b.count;
      }
    }
    return r;
  }

  private failed(b: Batch, nowMs: i64, rand: u32): Outcome {
    const delay = backoffDelayMs(b.attempts - 1, this.settings.retryInitialMs, this.settings.retryMaxMs, rand);
    b.lastDelayMs = delay;
    // Give up when the next attempt would start after the give-up age.
    if (nowMs + delay - b.firstAttemptMs >= this.settings.giveUpMs) {
      this.giveUp(b);
      return Outcome.GaveUp;
    }
    b.state = BatchState.Waiting;
    b.nextAttemptMs = nowMs + delay;
    return Outcome.Retry;
  }

  private giveUp(b: Batch): void {
    this.counters.droppedGaveUp += <u64>b.count;
    this.resolve(b);
  }

  private holds(b: Batch): bool {
    for (let i = 0; i < this.batches.length; i++) if (this.batches[i] === b) return true;
    return false;
  }

  private resolve(b: Batch): void {
    for (let i = 0; i < this.batches.length; i++) {
      if (this.batches[i] === b) {
        this.batches.splice(i, 1);
        this.queue.releaseInFlight(b.txBytes);
        b.body.free();
        b.state = BatchState.Waiting;
        b.callId = 0;
        return;
      }
    }
  }
}
