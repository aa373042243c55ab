import { Outbox, Batch, BatchState, DeliverySettings, Outcome, classifyEdgeStatus, EdgeStatusClass, LOST_CALL_SLACK_MS } from "../../assembly/client/delivery";
import { RawBytes } from "../../assembly/raw-bytes";
import { Rng } from "../../assembly/client/rng";

function tx(id: i32, size: i32): RawBytes {
  const b = RawBytes.alloc(size < 4 ? 4 : size);
  store<i32>(b.ptr, id);
  return b;
}

function settings(): DeliverySettings {
  const s = new DeliverySettings();
  s.batchMaxTransactions = 10;
  s.batchMaxBytes = 1 << 20;
  s.flushIntervalMs = 1000;
  s.queueMaxTransactions = 100;
  s.queueMaxBytes = 1 << 20;
  s.maxInFlight = 2;
  s.retryInitialMs = 100;
  s.retryMaxMs = 2000;
  s.giveUpMs = 30000;
  return s;
}

class Call {
  constructor(public batch: Batch, public callId: u32, public answerAt: i64) {}
}

/**
 * A scripted host: every posted batch is answered `latency` ms later with the status `statusAt(now)`;
 * delivered transaction ids are recorded (on 2xx only), so exactly-once can be checked.
 */
class Sim {
  outbox: Outbox;
  calls: Array<Call> = new Array<Call>();
  nextCallId: u32 = 1;
  now: i64 = 0;
  rng: Rng = new Rng(99);
  delivered: Map<i32, i32> = new Map<i32, i32>();
  duplicates: i32 = 0;
  maxOut: i32 = 0;
  posts: i32 = 0;
  downUntil: i64 = 0;
  downStatus: u32 = 503;
  latency: i64 = 50;
  unauthorizedLeft: i32 = 0;
  idCount: i32 = 0;

  constructor(s: DeliverySettings) {
    this.outbox = new Outbox(s);
  }

  statusAt(t: i64): u32 {
    if (this.unauthorizedLeft > 0) { this.unauthorizedLeft--; return 401; }
    return t < this.downUntil ? this.downStatus : 200;
  }

  enqueue(size: i32): void {
    this.outbox.enqueue(tx(this.idCount++, size), this.now);
    this.check();
  }

  check(): void {
    expect(this.outbox.balanced()).toBe(true, "captured = sent + dropped + queued + in flight");
    expect(this.outbox.batches.length).toBeLessThanOrEqual(this.outbox.settings.maxInFlight);
    const q = this.outbox.queue;
    expect(q.queuedBytes + q.inFlightBytes).toBeLessThanOrEqual(q.maxBytes);
    expect(q.count).toBeLessThanOrEqual(q.maxCount);
  }

  pump(): void {
    this.outbox.expire(this.now, this.rng.nextU32());
    for (let i = 0; i < 10; i++) {
      const b = this.outbox.next(this.now, true);
      if (b == null) break;
      const callId = this.nextCallId++;
      this.outbox.dispatched(b, this.now, callId, 5000, 1);
      this.calls.push(new Call(b, callId, this.now + this.latency));
      this.posts++;
    }
    if (this.calls.length > this.maxOut) this.maxOut = this.calls.length;
    this.check();
  }

  /** Advances time to `t` in 10 ms steps, answering due calls and ticking every 100 ms. */
  runUntil(t: i64): void {
    while (this.now < t) {
      this.now += 10;
      const due = new Array<Call>();
      const rest = new Array<Call>();
      for (let i = 0; i < this.calls.length; i++) {
        if (this.calls[i].answerAt <= this.now) due.push(this.calls[i]);
        else rest.push(this.calls[i]);
      }
      this.calls = rest;
      for (let i = 0; i < due.length; i++) this.answer(due[i]);
      if (this.now % 100 == 0) this.pump();
    }
  }

  answer(c: Call): void {
    const status = this.statusAt(this.now);
    const b = c.batch;
    // copy the body before complete() frees it
    const body = b.body.toArrayBuffer();
    const count = b.count;
    const outcome = this.outbox.complete(b, c.callId, status, this.now, true, this.rng.nextU32());
    if (outcome == Outcome.Sent) {
      expect(count).toBeGreaterThan(0);
      this.recordBody(body);
    }
    this.check();
    this.pump();
  }

  /** Batch bodies here are {"data":[ + raw tx buffers joined by "," + ]}; tx i starts with its 4-byte id. */
  recordBody(body: ArrayBuffer): void {
    const base = changetype<usize>(body);
    let pos: usize = 9; // {"data":[
    while (pos + 4 + 2 <= <usize>body.byteLength) {
      const id = load<i32>(base + pos);
      if (this.delivered.has(id)) this.duplicates++;
      this.delivered.set(id, 1);
      pos += this.txSize + 1;
    }
  }
  txSize: usize = 16;
}

describe("client delivery: status classes", () => {
  it("classifies Edge answers", () => {
    expect(classifyEdgeStatus(200)).toBe(EdgeStatusClass.Sent);
    expect(classifyEdgeStatus(204)).toBe(EdgeStatusClass.Sent);
    expect(classifyEdgeStatus(401)).toBe(EdgeStatusClass.Unauthorized);
    expect(classifyEdgeStatus(0)).toBe(EdgeStatusClass.Retry);
    expect(classifyEdgeStatus(500)).toBe(EdgeStatusClass.Retry);
    expect(classifyEdgeStatus(503)).toBe(EdgeStatusClass.Retry);
    expect(classifyEdgeStatus(504)).toBe(EdgeStatusClass.Retry);
    expect(classifyEdgeStatus(429)).toBe(EdgeStatusClass.Retry);
    expect(classifyEdgeStatus(400)).toBe(EdgeStatusClass.Reject);
    expect(classifyEdgeStatus(403)).toBe(EdgeStatusClass.Reject);
    expect(classifyEdgeStatus(404)).toBe(EdgeStatusClass.Reject);
    expect(classifyEdgeStatus(302)).toBe(EdgeStatusClass.Reject);
  });
});

describe("client delivery: batching", () => {
  it("sends a partial batch only once the flush interval has passed", () => {
    const sim = new Sim(settings());
    sim.enqueue(16);
    sim.enqueue(16);
    sim.runUntil(900);
    expect(sim.posts).toBe(0);
    sim.runUntil(1100);
    expect(sim.posts).toBe(1);
    sim.runUntil(1300);
    expect(sim.outbox.counters.sent).toBe(2);
  });
  it("sends a full batch at the next tick, and at most maxInFlight at once", () => {
    const sim = new Sim(settings());
    sim.latency = 500;
    for (let i = 0; i < 45; i++) sim.enqueue(16);
    sim.runUntil(100);
    expect(sim.posts).toBe(2);
    expect(sim.maxOut).toBe(2);
    sim.runUntil(3000);
    expect(sim.outbox.counters.sent).toBe(45);
    expect(sim.maxOut).toBe(2);
    expect(sim.duplicates).toBe(0);
  });
});

describe("client delivery: Edge down, then back", () => {
  it("under the bounds: every transaction arrives exactly once", () => {
    const sim = new Sim(settings());
    sim.downUntil = 20000;
    for (let t = 0; t < 40; t++) {
      sim.enqueue(16);
      sim.runUntil(sim.now + 500);
    }
    sim.runUntil(30000);
    const c = sim.outbox.counters;
    expect(c.captured).toBe(40);
    expect(c.sent).toBe(40);
    expect(c.dropped).toBe(0);
    expect(sim.duplicates).toBe(0);
    expect(sim.delivered.size).toBe(40);
    expect(sim.outbox.hasWork()).toBe(false);
  });
  it("over the bounds: the drop counter equals exactly what is missing", () => {
    const sim = new Sim(settings()); // queue bound 100 transactions
    sim.downUntil = 25000;
    for (let t = 0; t < 400; t++) {
      sim.enqueue(16);
      sim.runUntil(sim.now + 50);
    }
    sim.runUntil(40000);
    const c = sim.outbox.counters;
    expect(c.captured).toBe(400);
    expect(c.droppedQueueFull).toBeGreaterThan(0);
    expect(c.sent + c.dropped).toBe(400);
    expect(<u64>sim.delivered.size).toBe(c.sent);
    expect(sim.duplicates).toBe(0);
    expect(c.droppedGaveUp).toBe(0);
  });
  it("gives up after the give-up age and counts it, without affecting later batches", () => {
    const s = settings();
    s.giveUpMs = 5000;
    const sim = new Sim(s);
    sim.downUntil = 12000;
    for (let i = 0; i < 10; i++) sim.enqueue(16);
    sim.runUntil(11000);
    const c = sim.outbox.counters;
    expect(c.droppedGaveUp).toBe(10);
    for (let i = 0; i < 5; i++) sim.enqueue(16);
    sim.runUntil(20000);
    expect(c.sent).toBe(5);
    expect(c.captured).toBe(15);
  });
  it("retries with growing, capped delays", () => {
    const s = settings();
    const o = new Outbox(s);
    for (let i = 0; i < 10; i++) o.enqueue(tx(i, 16), 0);
    const b = o.next(0, true)!;
    let now: i64 = 0;
    let prev: i64 = 0;
    for (let k = 0; k < 12; k++) {
      o.dispatched(b, now, k + 1, 5000, 1);
      expect(o.complete(b, k + 1, 503, now, true, 0)).toBe(Outcome.Retry);
      expect(b.lastDelayMs).toBeGreaterThanOrEqual(prev);
      expect(b.lastDelayMs).toBeLessThanOrEqual(s.retryMaxMs);
      prev = b.lastDelayMs;
      expect(o.next(b.nextAttemptMs - 1, true) == null).toBe(true);
      expect(o.next(b.nextAttemptMs, true) === b).toBe(true);
      now = b.nextAttemptMs;
    }
    expect(prev).toBe(s.retryMaxMs / 2); // rand 0: the low end of the capped range
  });
});

describe("client delivery: 401 and rejections", () => {
  it("re-sends once after a 401, then delivers", () => {
    const sim = new Sim(settings());
    sim.unauthorizedLeft = 1;
    for (let i = 0; i < 10; i++) sim.enqueue(16);
    sim.runUntil(2000);
    const c = sim.outbox.counters;
    expect(c.sent).toBe(10);
    expect(c.dropped).toBe(0);
    expect(sim.posts).toBe(2);
  });
  it("drops a batch refused twice with 401, counted as rejected", () => {
    const o = new Outbox(settings());
    for (let i = 0; i < 10; i++) o.enqueue(tx(i, 16), 0);
    const b = o.next(0, true)!;
    o.dispatched(b, 0, 1, 5000, 1);
    expect(o.complete(b, 1, 401, 10, true, 0)).toBe(Outcome.AuthRetry);
    expect(o.next(10, false) == null).toBe(true); // waits for a token
    expect(o.next(20, true) === b).toBe(true);
    o.dispatched(b, 20, 2, 5000, 2);
    expect(o.complete(b, 2, 401, 30, true, 0)).toBe(Outcome.Rejected);
    expect(o.counters.droppedRejected).toBe(10);
    expect(o.balanced()).toBe(true);
  });
  it("drops on 401 at once when auth is disabled, and on other 4xx", () => {
    const o = new Outbox(settings());
    for (let i = 0; i < 20; i++) o.enqueue(tx(i, 16), 0);
    const a = o.next(0, true)!;
    o.dispatched(a, 0, 1, 5000, 0);
    expect(o.complete(a, 1, 401, 10, false, 0)).toBe(Outcome.Rejected);
    const b = o.next(10, true)!;
    o.dispatched(b, 10, 2, 5000, 0);
    expect(o.complete(b, 2, 400, 20, true, 0)).toBe(Outcome.Rejected);
    expect(o.counters.droppedRejected).toBe(20);
    expect(o.balanced()).toBe(true);
  });
  it("ignores a stale answer (wrong call id or resolved batch)", () => {
    const o = new Outbox(settings());
    for (let i = 0; i < 10; i++) o.enqueue(tx(i, 16), 0);
    const b = o.next(0, true)!;
    o.dispatched(b, 0, 7, 5000, 0);
    expect(o.complete(b, 8, 200, 10, true, 0)).toBe(Outcome.Stale);
    expect(o.complete(b, 7, 200, 10, true, 0)).toBe(Outcome.Sent);
    expect(o.complete(b, 7, 200, 10, true, 0)).toBe(Outcome.Stale);
    expect(o.counters.sent).toBe(10);
  });
});

describe("client delivery: refused calls and lost calls", () => {
  it("a refused dispatch (unknown cluster) keeps the batch for a retry and blocks new batches", () => {
    const o = new Outbox(settings());
    for (let i = 0; i < 30; i++) o.enqueue(tx(i, 16), 0);
    const b = o.next(0, true)!;
    expect(o.refused(b, 0, 0)).toBe(Outcome.Retry);
    expect(b.state).toBe(BatchState.Waiting);
    expect(o.next(1, true) == null).toBe(true); // no new batch while one waits
    expect(o.queue.count).toBe(20);
    expect(o.balanced()).toBe(true);
  });
  it("treats a call unanswered past its timeout as failed", () => {
    const o = new Outbox(settings());
    for (let i = 0; i < 10; i++) o.enqueue(tx(i, 16), 0);
    const b = o.next(0, true)!;
    o.dispatched(b, 0, 1, 5000, 0);
    expect(o.expire(5000 + LOST_CALL_SLACK_MS - 1, 0).lostCalls).toBe(0);
    expect(o.expire(5000 + LOST_CALL_SLACK_MS, 0).lostCalls).toBe(1);
    expect(b.state).toBe(BatchState.Waiting);
    expect(o.complete(b, 1, 200, 11000, true, 0)).toBe(Outcome.Stale); // the late answer is ignored
    expect(o.balanced()).toBe(true);
  });
  it("gives up a batch waiting (for a token) past the give-up age", () => {
    const s = settings();
    s.giveUpMs = 5000;
    const o = new Outbox(s);
    for (let i = 0; i < 10; i++) o.enqueue(tx(i, 16), 0);
    const b = o.next(0, true)!;
    o.dispatched(b, 0, 1, 1000, 1);
    expect(o.complete(b, 1, 401, 100, true, 0)).toBe(Outcome.AuthRetry);
    expect(o.expire(4999, 0).gaveUpBatches).toBe(0);
    const r = o.expire(5000, 0);
    expect(r.gaveUpBatches).toBe(1);
    expect(r.gaveUpTransactions).toBe(10);
    expect(o.counters.droppedGaveUp).toBe(10);
    expect(o.balanced()).toBe(true);
  });
});

describe("client delivery: byte budget", () => {
  it("caps batch bytes so in-flight batches cannot take the whole queue budget", () => {
    const s = settings();
    s.queueMaxBytes = 65536;
    s.batchMaxBytes = 1 << 20;
    s.maxInFlight = 3;
    expect(s.effectiveBatchBytes()).toBe(16384);
    s.queueMaxBytes = 4194304;
    s.maxInFlight = 2;
    expect(s.effectiveBatchBytes()).toBe(1 << 20);
  });
  it("reconfiguring to smaller bounds trims the queue and counts the drops", () => {
    const o = new Outbox(settings());
    for (let i = 0; i < 50; i++) o.enqueue(tx(i, 16), 0);
    const s = settings();
    s.queueMaxTransactions = 20;
    expect(o.configure(s)).toBe(30);
    expect(o.counters.droppedQueueFull).toBe(30);
    expect(o.balanced()).toBe(true);
  });
});
