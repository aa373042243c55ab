import { PolicyMetrics, MetricSink, M, METRIC_NAMES, MetricKind, metricKind, edgeResponseMetric } from "../../assembly/client/metrics";
import { RawBytes } from "../../assembly/raw-bytes";
import { TxQueue } from "../../assembly/client/queue";

/** A host that records every call; `refuseDefine` / `refuseUpdate` name metrics it refuses. */
class FakeSink extends MetricSink {
  calls: Array<string> = new Array<string>();
  refuseDefine: string = "";
  refuseUpdate: string = "";
  private names: Map<u32, string> = new Map<u32, string>();
  private next: u32 = 0;
  define(kind: i32, name: string): i64 {
    if (name == this.refuseDefine) return -2;
    const id = this.next++;
    this.names.set(id, name);
    return <i64>id;
  }
  increment(id: u32, delta: i64): i32 {
    const name = this.names.get(id);
    if (name == this.refuseUpdate) return 1;
    this.calls.push(name + " " + delta.toString());
    return 0;
  }
  record(id: u32, value: u64): i32 {
    const name = this.names.get(id);
    if (name == this.refuseUpdate) return 1;
    this.calls.push(name + " =" + value.toString());
    return 0;
  }
}

describe("client metrics", () => {
  it("names every metric once, counters ending in _total, the histogram in _ms", () => {
    expect(METRIC_NAMES.length).toBe(<i32>M.COUNT);
    for (let m = 0; m < M.COUNT; m++) {
      const n = METRIC_NAMES[m];
      expect(n.startsWith("cequence_")).toBe(true);
      for (let k = 0; k < m; k++) expect(METRIC_NAMES[k]).not.toBe(n);
      if (metricKind(m) == MetricKind.Counter) expect(n.endsWith("_total")).toBe(true);
      else expect(n.endsWith("_total")).toBe(false);
    }
    expect(metricKind(M.EdgeRoundTrip)).toBe(MetricKind.Histogram);
    expect(metricKind(M.QueueBytes)).toBe(MetricKind.Gauge);
    expect(metricKind(M.TokenFailures)).toBe(MetricKind.Counter);
  });

  it("pushes nothing until something changed, then only the increase", () => {
    const s = new FakeSink();
    const m = new PolicyMetrics(s);
    expect(m.refusedDefinitions).toBe(0);
    expect(m.flush()).toBe(0);
    m.set(M.Captured, 5);
    m.add(M.Edge2xx, 1);
    expect(m.flush()).toBe(2);
    expect(s.calls.join(",")).toBe("cequence_transactions_captured_total 5,cequence_edge_responses_2xx_total 1");
    expect(m.flush()).toBe(0);
    m.set(M.Captured, 12);
    m.flush();
    expect(s.calls[2]).toBe("cequence_transactions_captured_total 7");
  });

  it("pushes gauges as signed deltas (the host's value is the sum over workers), counters never down", () => {
    const s = new FakeSink();
    const m = new PolicyMetrics(s);
    m.set(M.QueueTransactions, 10);
    m.flush();
    m.set(M.QueueTransactions, 3);
    m.set(M.Sent, 4);
    m.flush();
    m.set(M.Sent, 2); // a counter that went down is not pushed
    m.set(M.QueueTransactions, 0);
    m.flush();
    expect(s.calls.join(",")).toBe("cequence_queue_transactions 10,cequence_transactions_sent_total 4,cequence_queue_transactions -7,cequence_queue_transactions -3");
  });

  it("a refused definition leaves that metric out and keeps the others", () => {
    const s = new FakeSink();
    s.refuseDefine = "cequence_transactions_sent_total";
    const m = new PolicyMetrics(s);
    expect(m.refusedDefinitions).toBe(1);
    expect(m.firstRefused).toBe("cequence_transactions_sent_total");
    expect(m.firstRefusedResult).toBe(2);
    expect(m.definedCount()).toBe(<i32>M.COUNT - 1);
    m.set(M.Sent, 3);
    m.set(M.Captured, 3);
    m.flush();
    expect(s.calls.join(",")).toBe("cequence_transactions_captured_total 3");
  });

  it("a refused update stops that metric, reported once", () => {
    const s = new FakeSink();
    s.refuseUpdate = "cequence_queue_bytes";
    const m = new PolicyMetrics(s);
    m.set(M.QueueBytes, 100);
    m.set(M.QueueTransactions, 1);
    expect(m.flush()).toBe(2);
    expect(m.takeUpdateRefusal()).toBe("cequence_queue_bytes");
    expect(m.takeUpdateRefusal()).toBe("");
    m.set(M.QueueBytes, 200);
    expect(m.flush()).toBe(0);
    expect(m.refusedUpdates).toBe(1);
    expect(s.calls.join(",")).toBe("cequence_queue_transactions 1");
  });

  it("a host without metrics: every definition refused, no call ever made", () => {
    const m = new PolicyMetrics(new MetricSink());
    expect(m.refusedDefinitions).toBe(<i32>M.COUNT);
    m.set(M.Captured, 1);
    m.record(M.EdgeRoundTrip, 5);
    expect(m.flush()).toBe(0);
  });

  it("records histogram samples as they come, never negative", () => {
    const s = new FakeSink();
    const m = new PolicyMetrics(s);
    m.record(M.EdgeRoundTrip, 42);
    m.record(M.EdgeRoundTrip, -3);
    expect(s.calls.join(",")).toBe("cequence_edge_round_trip_ms =42,cequence_edge_round_trip_ms =0");
  });

  it("classes Edge answers: 2xx, 401, other 4xx, 5xx, 504 timeout, 0 reset, anything else", () => {
    expect(edgeResponseMetric(200)).toBe(M.Edge2xx);
    expect(edgeResponseMetric(204)).toBe(M.Edge2xx);
    expect(edgeResponseMetric(401)).toBe(M.Edge401);
    expect(edgeResponseMetric(400)).toBe(M.Edge4xx);
    expect(edgeResponseMetric(429)).toBe(M.Edge4xx);
    expect(edgeResponseMetric(500)).toBe(M.Edge5xx);
    expect(edgeResponseMetric(503)).toBe(M.Edge5xx);
    expect(edgeResponseMetric(504)).toBe(M.EdgeTimeout);
    expect(edgeResponseMetric(0)).toBe(M.EdgeReset);
    expect(edgeResponseMetric(302)).toBe(M.EdgeOther);
    expect(edgeResponseMetric(101)).toBe(M.EdgeOther);
  });
});

function tx(n: i32): RawBytes {
  return RawBytes.alloc(n);
}

describe("queue drop reasons", () => {
  it("splits drops by the count bound, the byte bound and a reconfiguration", () => {
    const q = new TxQueue(2, 100);
    q.push(tx(10), 0);
    q.push(tx(10), 0);
    q.push(tx(10), 0); // count bound: the oldest goes
    expect(q.droppedOverCount).toBe(1);
    q.push(tx(95), 0); // the count bound takes one, then the byte bound the other
    expect(q.droppedOverCount).toBe(2);
    expect(q.droppedOverBytes).toBe(1);
    q.push(tx(200), 0); // larger than the byte bound: can never fit
    expect(q.droppedOverBytes).toBe(2);
    q.push(tx(5), 0);
    expect(q.setLimits(1, 100)).toBe(1);
    expect(q.droppedResized).toBe(1);
    expect(q.dropped).toBe(5);
    expect(q.dropped).toBe(q.droppedOverCount + q.droppedOverBytes + q.droppedResized);
  });
  it("a transaction that cannot fit beside batches in flight is a byte-bound drop", () => {
    const q = new TxQueue(10, 100);
    q.push(tx(60), 0);
    q.takeFront(1); // 60 bytes in flight
    q.push(tx(50), 0);
    expect(q.droppedOverBytes).toBe(1);
    expect(q.droppedOverCount).toBe(0);
  });
});
