// The module's metrics as the host holds them: one value per name for every VM of the host (Envoy
// keeps one stat per name per process), histogram samples kept, and the Prometheus text of Envoy's
// admin endpoint.

export type MetricTypeName = 'counter' | 'gauge' | 'histogram';

/** One metric as the host holds it: the sum over every VM (Envoy keeps one stat per name per process). */
export interface MetricEntry {
  name: string;
  type: MetricTypeName;
  /** Counter or gauge value; for a histogram, the number of samples. */
  value: bigint;
  /** Histogram samples, in the order recorded. */
  samples: bigint[];
}

/** Envoy's default histogram bucket bounds (what /stats/prometheus shows for a Wasm histogram). */
export const ENVOY_HISTOGRAM_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
const TYPE_NAMES: MetricTypeName[] = ['counter', 'gauge', 'histogram'];

export class MetricStore {
  private readonly metrics = new Map<string, { type: number; value: bigint; samples: bigint[] }>();

  /** Define `name` (a second definition, from any VM, is the same metric). */
  define(name: string, type: number): void {
    if (!this.metrics.has(name)) this.metrics.set(name, { type, value: 0n, samples: [] });
  }
  add(name: string, v: bigint): void {
    const m = this.metrics.get(name)!;
    m.value += v;
  }
  set(name: string, v: bigint): void {
    this.metrics.get(name)!.value = v;
  }
  /** A histogram sample: kept, as Envoy keeps the distribution (not the last value). */
  record(name: string, v: bigint): void {
    const m = this.metrics.get(name)!;
    m.samples.push(v);
    m.value = BigInt(m.samples.length);
  }
  get(name: string): bigint {
    return this.metrics.get(name)?.value ?? 0n;
  }
  /** Snapshot of metrics defined by the module: name -> value (a histogram: its sample count). */
  values(): Record<string, bigint> {
    return Object.fromEntries([...this.metrics].map(([k, v]) => [k, v.value]));
  }
  /** Every metric defined by the module, with its type (and a histogram's samples). */
  entries(): MetricEntry[] {
    return [...this.metrics].map(([name, m]) => ({ name, type: TYPE_NAMES[m.type], value: m.value, samples: [...m.samples] }));
  }
  /**
   * The module's metrics in the text format of Envoy's admin `/stats/prometheus` for Wasm metrics
   * (Envoy 1.40: the defined name with `.` as `_`, no `envoy_` prefix, empty labels `{}`; a histogram
   * as cumulative `_bucket{le=…}` lines over Envoy's default bounds, `_sum` and `_count`), so one
   * parser reads both hosts.
   */
  prometheusText(): string {
    const out: string[] = [];
    const order = (t: number) => [0, 1, 2].indexOf(t);
    const list = [...this.metrics].sort((a, b) => order(a[1].type) - order(b[1].type));
    for (const [rawName, m] of list) {
      const name = rawName.replace(/[^a-zA-Z0-9_]/g, '_');
      out.push(`# TYPE ${name} ${TYPE_NAMES[m.type]}`);
      if (m.type !== 2) {
        out.push(`${name}{} ${m.value}`);
        continue;
      }
      for (const le of ENVOY_HISTOGRAM_BUCKETS) out.push(`${name}_bucket{le="${le}"} ${m.samples.filter((v) => Number(v) <= le).length}`);
      out.push(`${name}_bucket{le="+Inf"} ${m.samples.length}`);
      out.push(`${name}_sum{} ${m.samples.reduce((a, v) => a + v, 0n)}`);
      out.push(`${name}_count{} ${m.samples.length}`);
    }
    return out.join('\n') + '\n';
  }
}
