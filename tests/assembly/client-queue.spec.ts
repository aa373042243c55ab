import { TxQueue } from "../../assembly/client/queue";
import { RawBytes } from "../../assembly/raw-bytes";

function tx(id: i32, size: i32): RawBytes {
  // A transaction of exactly `size` bytes whose first 4 bytes carry its id.
  const b = RawBytes.alloc(size < 4 ? 4 : size);
  store<i32>(b.ptr, id);
  return b;
}
function idOf(b: RawBytes): i32 {
  return load<i32>(b.ptr);
}

describe("client queue: bound by count", () => {
  it("keeps FIFO order and drops the oldest when full", () => {
    const q = new TxQueue(3, 1 << 20);
    for (let i = 0; i < 3; i++) expect(q.push(tx(i, 10), i)).toBe(0);
    expect(q.push(tx(3, 10), 3)).toBe(1);
    expect(q.push(tx(4, 10), 4)).toBe(1);
    expect(q.count).toBe(3);
    expect(idOf(q.at(0))).toBe(2);
    expect(idOf(q.at(1))).toBe(3);
    expect(idOf(q.at(2))).toBe(4);
    expect(q.dropped).toBe(2);
    expect(q.queuedBytes).toBe(30);
    expect(q.oldestTimeMs()).toBe(2);
  });
  it("never holds more than the bound over a long run", () => {
    const q = new TxQueue(50, 1 << 20);
    let dropped: i64 = 0;
    for (let i = 0; i < 5000; i++) {
      dropped += q.push(tx(i, 8), i);
      expect(q.count).toBeLessThanOrEqual(50);
      if (i % 7 == 0) q.releaseInFlight(q.takeFront(3));
    }
    expect(<i64>q.dropped).toBe(dropped);
    // the survivors are the newest, in order
    for (let i = 1; i < q.count; i++) expect(idOf(q.at(i))).toBe(idOf(q.at(i - 1)) + 1);
    expect(idOf(q.at(q.count - 1))).toBe(4999);
  });
});

describe("client queue: bound by bytes", () => {
  it("drops the oldest until the new transaction fits", () => {
    const q = new TxQueue(1000, 100);
    q.push(tx(0, 40), 0);
    q.push(tx(1, 40), 0);
    expect(q.push(tx(2, 50), 0)).toBe(1); // 40+40+50 > 100: drop #0
    expect(q.count).toBe(2);
    expect(idOf(q.at(0))).toBe(1);
    expect(q.queuedBytes).toBe(90);
    expect(q.push(tx(3, 100), 0)).toBe(2); // needs the whole budget
    expect(q.count).toBe(1);
    expect(q.queuedBytes).toBe(100);
  });
  it("drops a transaction larger than the whole bound, keeping the queue", () => {
    const q = new TxQueue(1000, 100);
    q.push(tx(0, 30), 0);
    expect(q.push(tx(1, 101), 0)).toBe(1);
    expect(q.count).toBe(1);
    expect(idOf(q.at(0))).toBe(0);
    expect(q.dropped).toBe(1);
  });
  it("counts in-flight bytes toward the bound", () => {
    const q = new TxQueue(1000, 100);
    q.push(tx(0, 30), 0);
    q.push(tx(1, 30), 0);
    expect(q.takeFront(2)).toBe(60);
    expect(q.count).toBe(0);
    expect(q.inFlightBytes).toBe(60);
    expect(q.push(tx(2, 30), 0)).toBe(0);
    // 60 in flight + 30 queued + 30 new > 100: the oldest queued goes
    expect(q.push(tx(3, 30), 0)).toBe(1);
    expect(idOf(q.at(0))).toBe(3);
    // the in-flight batch cannot be dropped: a transaction that only fits without it is itself dropped
    expect(q.push(tx(4, 50), 0)).toBe(2);
    expect(q.count).toBe(0);
    expect(q.queuedBytes + q.inFlightBytes).toBeLessThanOrEqual(100);
    q.releaseInFlight(60);
    expect(q.push(tx(5, 50), 0)).toBe(0);
  });
  it("holds queued + in-flight bytes within the bound at every step of a mixed run", () => {
    const q = new TxQueue(100000, 5000);
    const inflight = new Array<i64>();
    for (let i = 0; i < 3000; i++) {
      q.push(tx(i, 20 + (i * 37) % 400), i);
      expect(q.queuedBytes + q.inFlightBytes).toBeLessThanOrEqual(5000);
      if (i % 5 == 0 && q.count >= 4) inflight.push(q.takeFront(4));
      if (i % 11 == 0 && inflight.length > 0) q.releaseInFlight(inflight.shift());
    }
  });
});

describe("client queue: reconfiguration and warnings", () => {
  it("setLimits trims the oldest to the new bounds and counts them", () => {
    const q = new TxQueue(10, 1000);
    for (let i = 0; i < 10; i++) q.push(tx(i, 50), 0);
    expect(q.setLimits(4, 1000)).toBe(6);
    expect(q.count).toBe(4);
    expect(idOf(q.at(0))).toBe(6);
    expect(q.setLimits(4, 120)).toBe(2);
    expect(q.count).toBe(2);
    expect(q.dropped).toBe(8);
  });
  it("warns at once on the first drop, then at most once per interval with the count since", () => {
    const q = new TxQueue(1, 1000);
    expect(q.takeDropWarning(0, 1000)).toBe(0); // nothing dropped
    q.push(tx(0, 10), 0);
    q.push(tx(1, 10), 0); // 1 drop
    expect(q.takeDropWarning(5, 1000)).toBe(1);
    q.push(tx(2, 10), 0);
    q.push(tx(3, 10), 0);
    expect(q.takeDropWarning(500, 1000)).toBe(0); // too soon
    expect(q.takeDropWarning(1004, 1000)).toBe(0);
    expect(q.takeDropWarning(1005, 1000)).toBe(2);
    expect(q.takeDropWarning(5000, 1000)).toBe(0); // nothing new
  });
  it("stays correct across compactions (many pushes and takes)", () => {
    const q = new TxQueue(100000, 1 << 30);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 13; i++) q.push(tx(next++, 8), 0);
      const n = 11;
      for (let i = 0; i < n; i++) expect(idOf(q.at(i))).toBe(expected + i);
      q.releaseInFlight(q.takeFront(n));
      expected += n;
    }
    expect(q.count).toBe(next - expected);
    expect(q.queuedBytes).toBe(<i64>(next - expected) * 8);
    expect(q.inFlightBytes).toBe(0);
  });
});

describe("client queue: room made before a transaction is built", () => {
  it("drops the oldest exactly as push would, and refuses what can never fit or is held in flight", () => {
    const q = new TxQueue(3, 100);
    for (let i = 0; i < 3; i++) q.push(tx(i, 30), 0);
    expect(q.makeRoom(30)).toBe(true); // the count bound: the oldest goes
    expect(q.dropped).toBe(1);
    expect(q.droppedOverCount).toBe(1);
    expect(q.push(tx(3, 30), 0)).toBe(0); // the room is there: push drops nothing more
    expect(idOf(q.at(0))).toBe(1);
    expect(q.makeRoom(70)).toBe(true); // two more go: one for the count bound, one for the byte bound
    expect(q.droppedOverCount).toBe(2);
    expect(q.droppedOverBytes).toBe(1);
    expect(q.count).toBe(1);
    expect(q.makeRoom(101)).toBe(false); // never fits, nothing dropped for it
    expect(q.dropped).toBe(3);
    q.releaseInFlight(0);
    q.takeFront(1); // 30 bytes in flight
    expect(q.makeRoom(71)).toBe(false); // held by the batch in flight
    expect(q.makeRoom(70)).toBe(true);
  });
});
