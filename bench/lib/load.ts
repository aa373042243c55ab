// Load generator child process: autocannon runs against a URL, latencies recorded per response
// with sub-millisecond resolution (autocannon's own histogram has 1 ms resolution). Input: JSON in
// BENCH_LOAD (one run, then exit), or without it one JSON spec per stdin line (a run each, in turn:
// bench:envoy keeps one child for all its runs); output: one JSON line on stdout per run.
import autocannon from 'autocannon';
import { createInterface } from 'node:readline';

interface LoadSpec {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Body of `bodyBytes` bytes of JSON-like text, made here (keeps 1 MiB bodies off the command line). */
  bodyBytes?: number;
  /** Open loop: requests per second over all connections (autocannon overallRate). */
  rate?: number;
}

const UNIT = '{"id":12345,"sku":"AB-1234","name":"Widget, blue","qty":3,"price":19.99,"tags":["new","sale"]},';

function run(spec: LoadSpec): Promise<void> {
  const lat: number[] = [];
  const body = spec.body ?? (spec.bodyBytes ? UNIT.repeat(Math.ceil(spec.bodyBytes / UNIT.length)).slice(0, spec.bodyBytes) : undefined);
  return new Promise((resolve) => {
    const inst = autocannon({
      url: spec.url,
      connections: spec.connections,
      duration: spec.duration,
      method: spec.method as 'POST',
      headers: spec.headers,
      body,
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
      resolve();
    });
  });
}

if (process.env.BENCH_LOAD) {
  await run(JSON.parse(process.env.BENCH_LOAD));
} else {
  let chain = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim()) chain = chain.then(() => run(JSON.parse(line)));
  });
}
