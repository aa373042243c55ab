import { JSON } from "assemblyscript-json/assembly";
import { checkJson } from "../../assembly/config/json";
import { TxQueue } from "../../assembly/client/queue";
import { planBatch, fullBatchReady, assembleFromQueue, assembleBatch, batchBodyBytes, newRecord, frameAlone } from "../../assembly/client/batch";
import { Arena } from "../../assembly/arena";
import { RawBytes } from "../../assembly/raw-bytes";

function txJson(i: i32, pad: i32): RawBytes {
  let p = "";
  for (let k = 0; k < pad; k++) p += "x";
  return rawOf('{"transaction-id":"t' + i.toString() + '","n":' + i.toString() + ',"pad":"' + p + '","esc":"\\"q\\" \\u00e9"}');
}

function rawOf(s: string): RawBytes {
  return RawBytes.copyOf(String.UTF8.encode(s));
}

/** Checks a batch is {"data": [...]} holding `count` transactions numbered from `firstId`, and nothing else. */
function checkBatch(body: RawBytes, firstId: i32, count: i32): void {
  const bytes = Uint8Array.wrap(body.toArrayBuffer());
  expect(checkJson(bytes)).toBe("");
  const doc = JSON.parse(bytes);
  expect(doc.isObj).toBe(true);
  expect((<JSON.Obj>doc).keys.length).toBe(1);
  const data = (<JSON.Obj>doc).getArr("data");
  expect(data != null).toBe(true, "batch has no data array");
  const arr = data!.valueOf();
  expect(arr.length).toBe(count);
  for (let i = 0; i < arr.length; i++) {
    expect(arr[i].isObj).toBe(true);
    const n = (<JSON.Obj>arr[i]).getInteger("n");
    expect(n != null).toBe(true);
    expect(n!.valueOf()).toBe(firstId + i);
  }
}

describe("client batch: assembly", () => {
  it("is valid JSON holding exactly the transactions, at every size from 0 to 60", () => {
    for (let n = 0; n <= 60; n++) {
      const parts = new Array<RawBytes>();
      for (let i = 0; i < n; i++) parts.push(txJson(i, (i * 13) % 50));
      const body = assembleBatch(parts);
      let sum: i64 = 0;
      for (let i = 0; i < n; i++) sum += parts[i].byteLength;
      expect(<i64>body.byteLength).toBe(batchBodyBytes(n, sum));
      checkBatch(body, 0, n);
    }
  });
  it("is Cequence's batch document byte for byte, and an empty batch is {\"data\":[]}", () => {
    expect(String.UTF8.decode(assembleBatch([]).toArrayBuffer())).toBe('{"data":[]}');
    expect(String.UTF8.decode(assembleBatch([rawOf('{"a":1}'), rawOf('{"b":2}')]).toArrayBuffer())).toBe('{"data":[{"a":1},{"b":2}]}');
  });
  it("assembles from the front of the queue without changing it", () => {
    const q = new TxQueue(100, 1 << 20);
    for (let i = 0; i < 5; i++) q.push(txJson(i, 3), 0);
    checkBatch(assembleFromQueue(q, 3, null)!, 0, 3);
    expect(q.count).toBe(5);
  });
});

describe("client batch: limits", () => {
  it("respects the transaction limit", () => {
    const q = new TxQueue(1000, 1 << 20);
    for (let i = 0; i < 25; i++) q.push(txJson(i, 10), 0);
    expect(planBatch(q, 10, 1 << 20)).toBe(10);
    expect(fullBatchReady(q, 10, 1 << 20)).toBe(true);
    expect(fullBatchReady(q, 30, 1 << 20)).toBe(false);
  });
  it("respects the byte limit exactly, and every batch cut from a queue is valid JSON", () => {
    const q = new TxQueue(100000, 1 << 24);
    for (let i = 0; i < 300; i++) q.push(txJson(i, (i * 31) % 200), 0);
    let first = 0;
    const maxBytes: i64 = 2000;
    while (q.count > 0) {
      const n = planBatch(q, 1000, maxBytes);
      expect(n).toBeGreaterThan(0);
      const body = assembleFromQueue(q, n, null)!;
      if (n > 1) expect(<i64>body.byteLength).toBeLessThanOrEqual(maxBytes);
      // one more would not have fit
      if (n < q.count) expect(<i64>body.byteLength + 1 + q.at(n).byteLength).toBeGreaterThan(maxBytes);
      checkBatch(body, first, n);
      q.releaseInFlight(q.takeFront(n));
      first += n;
    }
    expect(first).toBe(300);
  });
  it("sends a single transaction larger than the byte limit alone", () => {
    const q = new TxQueue(100, 1 << 20);
    q.push(txJson(0, 3000), 0);
    q.push(txJson(1, 5), 0);
    expect(planBatch(q, 100, 1024)).toBe(1);
    expect(fullBatchReady(q, 100, 1024)).toBe(true);
    const body = assembleFromQueue(q, 1, null)!;
    expect(body.byteLength).toBeGreaterThan(1024);
    checkBatch(body, 0, 1);
    q.releaseInFlight(q.takeFront(1));
    expect(planBatch(q, 100, 1024)).toBe(1);
    expect(fullBatchReady(q, 100, 1024)).toBe(false); // a partial batch waits for the flush interval
  });
  it("plans nothing for an empty queue", () => {
    const q = new TxQueue(10, 1000);
    expect(planBatch(q, 10, 1000)).toBe(0);
    expect(fullBatchReady(q, 10, 1000)).toBe(false);
  });
});

describe("client batch: records", () => {
  it("a record framed for a batch of one is that batch's document once its transaction is written", () => {
    const r = newRecord(null, 7)!;
    const t = String.UTF8.encode('{"a":1}');
    memory.copy(r.ptr, changetype<usize>(t), 7);
    expect(r.len).toBe(7);
    expect(frameAlone(r)).toBe(true);
    expect(String.UTF8.decode(r.toArrayBuffer())).toBe('{"data":[{"a":1}]}');
    expect(frameAlone(RawBytes.copyOf(t))).toBe(false); // a plain block has no room for the framing
  });
  it("an arena without room gives no record and no batch copy", () => {
    const a = new Arena(256);
    expect(newRecord(a, 100000) == null).toBe(true);
    const q = new TxQueue(10, 1 << 20);
    for (let i = 0; i < 3; i++) q.push(txJson(i, 100), 0);
    expect(assembleFromQueue(q, 3, a) == null).toBe(true);
    expect(assembleFromQueue(q, 3, null) != null).toBe(true);
  });
});
