// Bounded FIFO of serialised transactions. Pure.
//
// Bounds: at most `maxCount` transactions queued, and at most `maxBytes` bytes of serialised
// transactions held in total, counting the bytes of batches that have left the queue but are not yet
// resolved (in flight or waiting for a retry): those are in memory too. When a new transaction does not
// fit, the oldest queued ones are dropped first; if it still does not fit (the bytes are held by batches
// in flight, which cannot be dropped), the new one is dropped. Every drop is counted.
//
// The queue owns its transactions' unmanaged blocks (raw-bytes.ts): a dropped one is freed at once, and
// takeFront frees those that left in a batch (the batch holds its own copy).
import { RawBytes } from "../raw-bytes";

export class TxQueue {
  private items: Array<RawBytes> = new Array<RawBytes>();
  private times: Array<i64> = new Array<i64>();
  private head: i32 = 0;

  /** Bytes of the transactions in the queue. */
  queuedBytes: i64 = 0;
  /** Bytes of transactions that left the queue in a batch that is not resolved yet. */
  inFlightBytes: i64 = 0;
  /** Transactions dropped because a bound was reached (all time) = the three reasons below. */
  dropped: u64 = 0;
  /** ... to respect the transaction count bound. */
  droppedOverCount: u64 = 0;
  /** ... to respect the byte bound (including a transaction larger than the bound, or room held by batches in flight). */
  droppedOverBytes: u64 = 0;
  /** ... because a reconfiguration lowered the bounds (setLimits). */
  droppedResized: u64 = 0;

  // Drop warning, at most once per interval.
  private unreported: u64 = 0;
  private lastWarnMs: i64 = 0;
  private everWarned: bool = false;

  constructor(public maxCount: i32, public maxBytes: i64) {}

  get count(): i32 {
    return this.items.length - this.head;
  }

  /** Adds one transaction enqueued at `nowMs`; returns how many transactions were dropped to respect the bounds. */
  push(tx: RawBytes, nowMs: i64): i32 {
    const size = <i64>tx.len;
    let dropped = 0;
    if (size > this.maxBytes || this.maxCount < 1) {
      dropped = 1; // can never fit
      tx.free();
      if (this.maxCount < 1) this.droppedOverCount++;
      else this.droppedOverBytes++;
    } else {
      while (this.count > 0 && (this.count >= this.maxCount || this.queuedBytes + this.inFlightBytes + size > this.maxBytes)) {
        if (this.count >= this.maxCount) this.droppedOverCount++;
        else this.droppedOverBytes++;
        this.dropFront();
        dropped++;
      }
      if (this.queuedBytes + this.inFlightBytes + size > this.maxBytes) {
        dropped++; // the room is held by batches in flight: the new transaction is the one that goes
        this.droppedOverBytes++;
        tx.free();
      } else {
        this.items.push(tx);
        this.times.push(nowMs);
        this.queuedBytes += size;
      }
    }
    this.noteDropped(dropped);
    return dropped;
  }

  /**
   * Makes room for a transaction of `size` bytes before it is built, dropping the oldest (counted, as
   * push would). True when it will fit; false when it never can or the room is held by batches in
   * flight (the caller then counts it dropped with dropUnfit, unbuilt).
   */
  makeRoom(size: i64): bool {
    if (size > this.maxBytes || this.maxCount < 1) return false;
    let dropped = 0;
    while (this.count > 0 && (this.count >= this.maxCount || this.queuedBytes + this.inFlightBytes + size > this.maxBytes)) {
      if (this.count >= this.maxCount) this.droppedOverCount++;
      else this.droppedOverBytes++;
      this.dropFront();
      dropped++;
    }
    this.noteDropped(dropped);
    return this.queuedBytes + this.inFlightBytes + size <= this.maxBytes;
  }

  /** The i-th queued transaction from the front (0 = oldest); i must be in [0, count). */
  at(i: i32): RawBytes {
    return this.items[this.head + i];
  }

  /** Enqueue time of the oldest queued transaction (only meaningful when count > 0). */
  oldestTimeMs(): i64 {
    return this.count > 0 ? this.times[this.head] : 0;
  }

  /**
   * Removes (and frees) the n oldest transactions as one batch leaving for delivery, once the batch
   * holds its copy; their bytes move to in flight. Returns those bytes.
   */
  takeFront(n: i32): i64 {
    let bytes: i64 = 0;
    if (n > this.count) n = this.count;
    for (let i = 0; i < n; i++) bytes += this.removeFront();
    this.inFlightBytes += bytes;
    this.compact();
    return bytes;
  }

  /** A batch holding `bytes` is resolved (sent, given up or rejected): its bytes no longer count. */
  releaseInFlight(bytes: i64): void {
    this.inFlightBytes -= bytes;
    if (this.inFlightBytes < 0) this.inFlightBytes = 0;
  }

  /** New bounds (reconfiguration); drops the oldest to fit them and returns how many. */
  setLimits(maxCount: i32, maxBytes: i64): i32 {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
    let dropped = 0;
    while (this.count > 0 && (this.count > this.maxCount || this.queuedBytes + this.inFlightBytes > this.maxBytes)) {
      this.dropFront();
      dropped++;
    }
    this.droppedResized += <u64>dropped;
    this.noteDropped(dropped);
    return dropped;
  }

  /**
   * Rate-limited drop warning: returns the number of drops not yet reported when a warning is due
   * (the first drop warns at once, later ones at most once per `intervalMs`), else 0.
   */
  takeDropWarning(nowMs: i64, intervalMs: i64): u64 {
    if (this.unreported == 0) return 0;
    if (this.everWarned && nowMs - this.lastWarnMs < intervalMs) return 0;
    const n = this.unreported;
    this.unreported = 0;
    this.lastWarnMs = nowMs;
    this.everWarned = true;
    return n;
  }

  /** A transaction that could never fit (its serialised size, or its stream's header block, exceeds what memory may hold): dropped by the byte bound without being built. */
  dropUnfit(): void {
    this.droppedOverBytes++;
    this.noteDropped(1);
  }

  private noteDropped(n: i32): void {
    if (n <= 0) return;
    this.dropped += <u64>n;
    this.unreported += <u64>n;
  }

  private dropFront(): void {
    this.removeFront();
    this.compact();
  }

  private removeFront(): i64 {
    const tx = this.items[this.head];
    this.head++;
    const size = <i64>tx.len;
    tx.free(); // now, not at the next compaction
    this.queuedBytes -= size;
    return size;
  }

  /** Removes the oldest transaction without freeing it (it leaves alone, posted from its own record); its bytes move to in flight. */
  takeFrontRecord(): RawBytes {
    const tx = this.items[this.head];
    this.head++;
    const size = <i64>tx.len;
    this.queuedBytes -= size;
    this.inFlightBytes += size;
    this.compact();
    return tx;
  }

  /** Drops the oldest: the queue's arena has no contiguous room for the next one (counted as the byte bound). */
  dropOldestForRoom(): void {
    this.droppedOverBytes++;
    this.dropFront();
    this.noteDropped(1);
  }

  /** Frees every queued block (the root is shutting down); the counts stay as they were, for its last line. */
  discard(): void {
    for (let i = this.head; i < this.items.length; i++) unchecked(this.items[i]).free();
  }

  /** Keeps the dead prefix from growing: amortised O(1) per removal. */
  private compact(): void {
    const h = this.head;
    if (h == 0) return;
    if (h == this.items.length) {
      this.items = new Array<RawBytes>();
      this.times = new Array<i64>();
      this.head = 0;
    } else if (h >= 64 && h * 2 >= this.items.length) {
      this.items = this.items.slice(h);
      this.times = this.times.slice(h);
      this.head = 0;
    }
  }
}
