// Reading the policy's proxy-wasm metrics the way an operator does, on either host: Envoy's admin
// `/stats/prometheus` (and `/stats`), the emulator's `prometheusText()` (the same text format, see
// emulator/host/host.ts). The names the policy defines are read from its one list,
// assembly/client/metrics.ts (METRIC_NAMES), so a renamed metric cannot go unnoticed here.
import { readFileSync } from 'node:fs';
import type { Stats, Subject } from '../../harness/index.ts';

const SOURCE = new URL('../../assembly/client/metrics.ts', import.meta.url);

export type Kind = 'counter' | 'gauge' | 'histogram';

/** Every metric the module defines, in its order, with its kind (counters end in `_total`, the histogram in `_ms`). */
export function policyMetrics(): { name: string; kind: Kind }[] {
  const src = readFileSync(SOURCE, 'utf8');
  const list = /export const METRIC_NAMES: string\[\] = lines\(msg\(([\s\S]*?)\)\);/.exec(src);
  if (!list) throw new Error('METRIC_NAMES not found in assembly/client/metrics.ts');
  return [...list[1].matchAll(/"([a-z0-9_]+)(?:\\n)?"/g)].map(([, name]) => ({
    name,
    kind: name.endsWith('_total') ? 'counter' : name.endsWith('_ms') ? 'histogram' : 'gauge',
  }));
}

/** Prometheus text → series (`name` or `name{le="…"}` for buckets) → value, and `# TYPE` lines. */
export interface Scrape {
  values: Map<string, number>;
  types: Map<string, string>;
  text: string;
}

export function parsePrometheus(text: string): Scrape {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) { types.set(t[1], t[2]); continue; }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = m[2] && m[2] !== '{}' ? m[2] : '';
    values.set(m[1] + labels, Number(m[3]));
  }
  return { values, types, text };
}

/** What `/stats/prometheus` (Envoy) or `prometheusText()` (emulator) says now. */
export async function scrape(s: Subject): Promise<Scrape> {
  if (s.emulator) return parsePrometheus(s.emulator.host!.prometheusText());
  const r = await fetch(s.envoy!.adminUrl + '/stats/prometheus');
  if (r.status !== 200) throw new Error(`/stats/prometheus answered ${r.status}`);
  return parsePrometheus(await r.text());
}

/** Envoy's `/stats` text lines for the policy (`wasmcustom.<name>: <value>`). */
export async function envoyStats(s: Subject): Promise<Map<string, string>> {
  const r = await fetch(s.envoy!.adminUrl + '/stats?filter=' + encodeURIComponent('^wasmcustom\\.cequence_'));
  const out = new Map<string, string>();
  for (const line of (await r.text()).split('\n')) {
    const m = /^(\S+): (.*)$/.exec(line.trim());
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** The policy's counters and gauges as one object (short keys), for assertions and messages. */
export interface Readout {
  captured: number; sent: number; dropped: number;
  queueFullCount: number; queueFullBytes: number; gaveUp: number; shutdown: number; rejected: number;
  excluded: number; bodiesSkipped: number;
  edge2xx: number; edge401: number; edge4xx: number; edge5xx: number; edgeTimeouts: number; edgeResets: number; edgeOther: number;
  tokenRequests: number; tokenFailures: number;
  queued: number; queuedBytes: number; inFlight: number; inFlightBatches: number;
  rttCount: number; rttSum: number;
}

export function readout(x: Scrape): Readout {
  const v = (n: string) => {
    const got = x.values.get(n);
    if (got === undefined) throw new Error(`metric ${n} is not in the scrape:\n${x.text.split('\n').filter((l) => l.includes('cequence')).join('\n')}`);
    return got;
  };
  return {
    captured: v('cequence_transactions_captured_total'),
    sent: v('cequence_transactions_sent_total'),
    dropped: v('cequence_transactions_dropped_total'),
    queueFullCount: v('cequence_transactions_dropped_queue_full_count_total'),
    queueFullBytes: v('cequence_transactions_dropped_queue_full_bytes_total'),
    gaveUp: v('cequence_transactions_dropped_gave_up_total'),
    shutdown: v('cequence_transactions_dropped_shutdown_total'),
    rejected: v('cequence_transactions_dropped_rejected_total'),
    excluded: v('cequence_transactions_excluded_total'),
    bodiesSkipped: v('cequence_bodies_skipped_total'),
    edge2xx: v('cequence_edge_responses_2xx_total'),
    edge401: v('cequence_edge_responses_401_total'),
    edge4xx: v('cequence_edge_responses_4xx_total'),
    edge5xx: v('cequence_edge_responses_5xx_total'),
    edgeTimeouts: v('cequence_edge_timeouts_total'),
    edgeResets: v('cequence_edge_resets_total'),
    edgeOther: v('cequence_edge_responses_other_total'),
    tokenRequests: v('cequence_token_requests_total'),
    tokenFailures: v('cequence_token_failures_total'),
    queued: v('cequence_queue_transactions'),
    queuedBytes: v('cequence_queue_bytes'),
    inFlight: v('cequence_in_flight_transactions'),
    inFlightBatches: v('cequence_in_flight_batches'),
    rttCount: v('cequence_edge_round_trip_ms_count'),
    rttSum: v('cequence_edge_round_trip_ms_sum'),
  };
}

/** The metrics as Stats-line counts (queue_full there is every queue drop: count, bytes, reconfiguration, shutdown). */
export function metricsAsStats(r: Readout): Stats {
  return {
    captured: r.captured, sent: r.sent, dropped: r.dropped, queueFull: r.queueFullCount + r.queueFullBytes + r.shutdown,
    gaveUp: r.gaveUp, rejected: r.rejected, queued: r.queued, inFlight: r.inFlight,
  };
}

/** Polls the scrape until `ok` holds; the failure names the last readout. */
export async function waitForMetrics(s: Subject, ok: (r: Readout) => boolean, what: string, timeoutMs = 30000): Promise<Readout> {
  const start = Date.now();
  let last: Readout | undefined;
  let err = '';
  for (;;) {
    try {
      last = readout(await scrape(s));
      if (ok(last)) return last;
    } catch (e) {
      err = (e as Error).message;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`[${s.host}] timed out after ${timeoutMs} ms waiting for metrics with ${what}; last: ${last ? JSON.stringify(last) : err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
