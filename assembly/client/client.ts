// The Cequence client: composes the batch flow (edge-flow.ts) and the token flow (token-flow.ts) in
// each worker's root context, routes the answers of their calls, and says the counts on each tick.
//
// Calls are made only from the root context (onTick, onHttpCallResponse), never from on_configure and
// never from a stream's on_log (enqueue only queues), so every call is owned and answered here. The
// decisions live in pure modules (delivery.ts, token.ts, queue.ts, batch.ts, backoff.ts, oauth.ts,
// shared-token.ts, stats.ts); the flows make the host calls and write the log lines.
import { RootContext } from "@solo-io/proxy-runtime/assembly";
import { HeaderMapTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { Config } from "../config/config";
import { collectOnReturn } from "../gc";
import { nowMillis, nowNanos, getHeaderValue } from "../host";
import { logInfo, logWarn } from "../log";
import { Rng, mix64 } from "./rng";
import { hex32 } from "./shared-token";
import { hostRandom64, HostMetricSink } from "./hostcalls";
import { PolicyMetrics, M } from "./metrics";
import { PendingCalls, CALL_TOKEN } from "./calls";
import { RefusedCallLog } from "./call-log";
import { TokenFlow } from "./token-flow";
import { EdgeFlow } from "./edge-flow";
import { RawBytes } from "../raw-bytes";
import { countsLine, pushMetrics } from "./report";
import { msg, utf8 } from "../literals";

/** Tick period: fine enough for the flush interval (>= 100 ms) and retry timing, cheap per worker. */
const TICK_MS: u32 = 100;

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

export class CequenceClient {
  private calls: PendingCalls;
  private refusals: RefusedCallLog;
  private tokens: TokenFlow;
  private edge: EdgeFlow;
  private lastStatsMs: i64;
  private capturing: bool = true;
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
    const workerId = hex32(rng.nextU32()) + hex32(rng.nextU32());
    this.lastStatsMs = now;
    const m = new PolicyMetrics(new HostMetricSink());
    this.metrics = m;
    const calls = new PendingCalls();
    this.calls = calls;
    const refusals = new RefusedCallLog();
    this.refusals = refusals;
    const tokens = new TokenFlow(config, rng, m, calls, refusals, workerId);
    this.tokens = tokens;
    this.edge = new EdgeFlow(config, rng, m, calls, refusals, workerId, tokens);
    if (m.refusedDefinitions > 0) {
      logWarn(msg("Metrics: the gateway refused ") + m.refusedDefinitions.toString() + msg(" of ") + (<i32>M.COUNT).toString() +
        msg(" metric definition(s) (first ") + m.firstRefused + msg(", result=") + m.firstRefusedResult.toString() +
        msg("); those are not reported, the Stats line still counts everything"));
    }
  }

  reserve(size: i64): RawBytes | null {
    return this.edge.reserve(size, nowMillis());
  }

  /** A captured transaction too large for memory was not built: counted as dropped (queue full by bytes). */
  dropUnfit(): void {
    this.edge.dropUnfit(nowMillis());
  }

  /** Takes one serialised transaction (UTF-8 JSON object). Called from stream contexts: queues only. */
  enqueue(transaction: RawBytes): void {
    this.edge.enqueue(transaction, nowMillis());
  }

  reconfigure(config: Config): void {
    this.config = config;
    this.capturing = true;
    this.edge.reconfigure(config, nowMillis());
    this.tokens.reconfigure(config);
    this.refusals.reset();
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
    const o = this.edge.outbox;
    const queued = <u64>o.queue.count;
    const inFlight = o.inFlightTransactions();
    const line = countsLine(o);
    // The metrics: what is lost is a drop (reason shutdown), and this worker's share of the gauges goes.
    if (!this.shutDown) {
      this.shutDown = true;
      this.droppedAtShutdown = queued + inFlight;
      this.pushMetrics();
      o.discard(); // what cannot be sent any more gives its memory back (the VM may serve a new root)
    }
    if (queued + inFlight > 0) {
      logWarn(msg("Shutting down: ") + (queued + inFlight).toString() + msg(" transaction(s) queued or in flight are not sent; ") + line);
    } else {
      logInfo(msg("Shutting down: every captured transaction was sent or counted as dropped; ") + line);
    }
  }

  tickPeriodMs(): u32 {
    return TICK_MS;
  }

  onTick(): void {
    const now = nowMillis();
    // Not here but when the host's call returns (gc.ts: the minimal runtime must not collect while
    // the module's frames are live); each tick collects what the streams since the last one left.
    collectOnReturn();
    this.edge.pump(now);
    this.edge.warnDrops(now);
    this.pushMetrics();
    if (now - this.lastStatsMs >= <i64>this.config.statsIntervalMs) {
      this.lastStatsMs = now;
      logInfo(countsLine(this.edge.outbox) + (this.capturing ? "" : msg(" (capture stopped: invalid configuration)")));
    }
  }

  onHttpCallResponse(callId: u32, numHeaders: u32, bodySize: u32): void {
    const call = this.calls.take(callId);
    if (call == null) return;
    const now = nowMillis();
    const status = numHeaders == 0 ? <u32>0 : parseStatus(getHeaderValue(HeaderMapTypeValues.HttpCallResponseHeaders, utf8(":status")));
    if (call.kind == CALL_TOKEN) this.tokens.onResponse(call, callId, status, bodySize, now);
    else this.edge.onResponse(call, callId, status, now);
    this.edge.pump(now);
  }

  private pushMetrics(): void {
    pushMetrics(this.metrics, this.edge.outbox, this.droppedAtShutdown, !this.shutDown);
  }
}
