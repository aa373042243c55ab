// Load generator child process: one autocannon run against a URL, latencies recorded per response
// with sub-millisecond resolution (autocannon's own histogram has 1 ms resolution). Input: JSON in
// BENCH_LOAD; output: one JSON line on stdout.
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Open loop: requests per second over all connections (autocannon overallRate). */
  rate?: number;
}
const spec: LoadSpec = JSON.parse(process.env.BENCH_LOAD ?? '{}');
const lat: number[] = [];
const inst = autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  method: spec.method as 'POST',
  headers: spec.headers,
  body: spec.body,
  ...(spec.rate ? { overallRate: spec.rate } : {}),
});
inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  if (status >= 200 && status < 300) lat.push(ms);
});
inst.on('done', (r: any) => {
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  process.stdout.write(JSON.stringify({
    ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, duration: r.duration,
    rps: r['2xx'] / r.duration, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: lat[lat.length - 1],
    autocannon: { rpsAverage: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 },
  }) + '\n');
});
