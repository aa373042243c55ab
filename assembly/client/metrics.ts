// The policy's proxy-wasm metrics: what each one is called and what it counts, and when the host hears
// of it. Pure: the host calls go through a MetricSink (hostcalls.ts forwards to assembly/host.ts).
//
// The request path never calls the host: the client keeps every count in the module (the Outbox's
// counters, the queue's drop reasons, captureCounts, and `add` here), `set`s the current values and
// calls `flush` once per tick (100 ms), which pushes only what changed since the last push.
//
// One gateway, many workers: Envoy keeps one stat per name for the whole process, and each worker's
// VM defines the same names, so the host's value is the sum over the workers (verified on Envoy 1.40
// with two workers). Counters are pushed as positive increments. Gauges are pushed as increments too,
// of either sign (proxy_increment_metric with a negative offset), never with proxy_record_metric: a
// recorded gauge would hold whichever worker wrote last, a gauge built from deltas holds the sum of
// every worker's queue. When a root context goes away (`shutdown`), it takes its share back to zero.
//
// Names follow Prometheus conventions (counters end in `_total`); Envoy has no labels for Wasm
// metrics, so a reason or a status class is part of the name. Envoy shows them on /stats as
// `wasmcustom.<name>` and on /stats/prometheus as `<name>`. A metric the host refuses to define is
// left out (one warning line) and the rest still work; an update the host refuses stops that metric.
import { msg, lines } from "../literals";

export enum MetricKind { Counter = 0, Gauge = 1, Histogram = 2 }

export enum M {
  Captured = 0,
  Sent,
  Dropped,
  DroppedQueueFullCount,
  DroppedQueueFullBytes,
  DroppedGaveUp,
  DroppedShutdown,
  DroppedRejected,
  Excluded,
  BodiesSkipped,
  Edge2xx,
  Edge401,
  Edge4xx,
  Edge5xx,
  EdgeTimeout,
  EdgeReset,
  EdgeOther,
  TokenRequests,
  TokenFailures,
  QueueTransactions,
  QueueBytes,
  InFlightTransactions,
  InFlightBatches,
  /** The histogram (recorded at each Edge answer, not through `set`/`flush`). */
  EdgeRoundTrip,
  COUNT,
}

// One name per line, in the order of M: one message split once at start is smaller than 24 literals.
export const METRIC_NAMES: string[] = lines(msg(
  "cequence_transactions_captured_total\n" +
  "cequence_transactions_sent_total\n" +
  "cequence_transactions_dropped_total\n" +
  "cequence_transactions_dropped_queue_full_count_total\n" +
  "cequence_transactions_dropped_queue_full_bytes_total\n" +
  "cequence_transactions_dropped_gave_up_total\n" +
  "cequence_transactions_dropped_shutdown_total\n" +
  "cequence_transactions_dropped_rejected_total\n" +
  "cequence_transactions_excluded_total\n" +
  "cequence_bodies_skipped_total\n" +
  "cequence_edge_responses_2xx_total\n" +
  "cequence_edge_responses_401_total\n" +
  "cequence_edge_responses_4xx_total\n" +
  "cequence_edge_responses_5xx_total\n" +
  "cequence_edge_timeouts_total\n" +
  "cequence_edge_resets_total\n" +
  "cequence_edge_responses_other_total\n" +
  "cequence_token_requests_total\n" +
  "cequence_token_failures_total\n" +
  "cequence_queue_transactions\n" +
  "cequence_queue_bytes\n" +
  "cequence_in_flight_transactions\n" +
  "cequence_in_flight_batches\n" +
  "cequence_edge_round_trip_ms",
));

export function metricKind(m: i32): MetricKind {
  if (m == M.EdgeRoundTrip) return MetricKind.Histogram;
  if (m >= M.QueueTransactions) return MetricKind.Gauge;
  return MetricKind.Counter;
}

/** Which status-class counter an Edge answer adds to: 0 is a reset (no response), 504 the host's timeout. */
export function edgeResponseMetric(status: u32): i32 {
  if (status == 0) return M.EdgeReset;
  if (status == 504) return M.EdgeTimeout;
  if (status >= 200 && status < 300) return M.Edge2xx;
  if (status == 401) return M.Edge401;
  if (status >= 400 && status < 500) return M.Edge4xx;
  if (status >= 500 && status < 600) return M.Edge5xx;
  return M.EdgeOther;
}

/** The host side. The defaults refuse everything (a host without metrics). */
export class MetricSink {
  /** Defines a metric: the host's id, or a negative number (the negated WasmResult) when refused. */
  define(kind: i32, name: string): i64 { return -1; }
  /** proxy_increment_metric: the WasmResult (0 = Ok). */
  increment(id: u32, delta: i64): i32 { return 1; }
  /** proxy_record_metric: the WasmResult (0 = Ok). */
  record(id: u32, value: u64): i32 { return 1; }
}

export class PolicyMetrics {
  private ids: StaticArray<u32> = new StaticArray<u32>(M.COUNT);
  private live: StaticArray<bool> = new StaticArray<bool>(M.COUNT);
  /** What the module counts now. */
  private values: StaticArray<i64> = new StaticArray<i64>(M.COUNT);
  /** What the host has been told. */
  private pushed: StaticArray<i64> = new StaticArray<i64>(M.COUNT);
  /** Metrics the host refused to define. */
  refusedDefinitions: i32 = 0;
  firstRefused: string = "";
  firstRefusedResult: i32 = 0;
  /** Updates the host refused (each stops its metric); `takeUpdateRefusal` reports the first. */
  refusedUpdates: i32 = 0;
  private unreportedRefusal: string = "";

  constructor(private sink: MetricSink) {
    for (let m = 0; m < M.COUNT; m++) {
      const id = sink.define(<i32>metricKind(m), METRIC_NAMES[m]);
      if (id >= 0) {
        this.ids[m] = <u32>id;
        this.live[m] = true;
      } else {
        if (this.refusedDefinitions == 0) {
          this.firstRefused = METRIC_NAMES[m];
          this.firstRefusedResult = <i32>(-id);
        }
        this.refusedDefinitions++;
      }
    }
  }

  definedCount(): i32 {
    return M.COUNT - this.refusedDefinitions;
  }

  /** The current value of counter or gauge `m` (cumulative for a counter). */
  set(m: i32, value: i64): void {
    this.values[m] = value;
  }

  add(m: i32, n: i64): void {
    this.values[m] += n;
  }

  value(m: i32): i64 {
    return this.values[m];
  }

  /**
   * Tells the host what changed since the last flush: the increase of each counter (a counter never
   * goes down; a lower value is ignored), the change of each gauge. Returns the host calls made.
   */
  flush(): i32 {
    let calls = 0;
    for (let m = 0; m < M.EdgeRoundTrip; m++) {
      if (!this.live[m]) continue;
      const delta = this.values[m] - this.pushed[m];
      if (delta == 0 || (delta < 0 && metricKind(m) == MetricKind.Counter)) continue;
      calls++;
      if (this.sink.increment(this.ids[m], delta) == 0) this.pushed[m] = this.values[m];
      else this.refused(m);
    }
    return calls;
  }

  /** One sample of a histogram (the Edge round trip, in ms). */
  record(m: i32, value: i64): void {
    if (!this.live[m]) return;
    if (this.sink.record(this.ids[m], value < 0 ? 0 : <u64>value) != 0) this.refused(m);
  }

  /** The name of the first metric whose update was refused since the last call, or "". */
  takeUpdateRefusal(): string {
    const s = this.unreportedRefusal;
    this.unreportedRefusal = "";
    return s;
  }

  private refused(m: i32): void {
    this.live[m] = false;
    if (this.refusedUpdates == 0) this.unreportedRefusal = METRIC_NAMES[m];
    this.refusedUpdates++;
  }
}
