// Local gateway tests: real HTTP on loopback, configuration from conf.d YAML files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway } from '../../emulator/index.ts';
import { tempDir } from '../../emulator/temp.ts';
import { writeBundle } from './bundle.ts';
import { compileAS, listen, probeWasm, ROOT, waitFor } from './helpers.ts';

type Up = Awaited<ReturnType<typeof listen>>;
let upstream: Up;
let edge: Up;
const upstreamSeen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string; firstChunkAt?: number }[] = [];
const edgeSeen: string[] = [];
let releaseSlowBody: (() => void) | undefined;
let bigSent: () => number = () => 0;
/** /big/<mb> sends its first BIG_HELD_BACK_AT bytes, then holds the rest until the client has its
 *  first byte: a gateway that buffered the body would never deliver one (the test then times out). */
const BIG_HELD_BACK_AT = 1024 * 1024;
let releaseBig: () => void = () => undefined;
const gateways: Gateway[] = [];

before(async () => {
  upstream = await listen((req, res) => {
    const rec: (typeof upstreamSeen)[number] = { method: req.method, url: req.url, headers: req.headers, body: '' };
    upstreamSeen.push(rec);
    req.on('data', (c) => { rec.body += c; rec.firstChunkAt ??= Date.now(); });
    req.on('end', () => {
      if (req.url?.startsWith('/big')) {
        const total = Number(/^\/big\/(\d+)/.exec(req.url)?.[1] ?? 50) * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 120);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
        let sent = 0;
        let held = true;
        bigSent = () => sent;
        const pump = () => {
          while (sent < total) {
            if (held && sent >= BIG_HELD_BACK_AT) {
              releaseBig = () => {
                releaseBig = () => undefined;
                held = false;
                pump();
              };
              return;
            }
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      if (req.url === '/slow-body') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        releaseSlowBody = () => res.end('second');
        return;
      }
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-upstream', 'yes');
      res.end(JSON.stringify({ url: req.url, body: rec.body }));
    });
  });
  edge = await listen((req, res) => {
    edgeSeen.push(`${req.method} ${req.url}`);
    res.end('edge-ok');
  });
});
after(async () => {
  for (const g of gateways) await g.close();
  await upstream.close();
  await edge.close();
});

async function gateway(bundle: Parameters<typeof writeBundle>[0] | string, opts: Partial<Parameters<typeof startGateway>[0]> = {}) {
  const dir = typeof bundle === 'string' ? bundle : writeBundle(bundle);
  const g = await startGateway({ dir, listenPort: 0, ...opts });
  gateways.push(g);
  return g;
}
const wasmLines = (g: Gateway) => g.entries.filter((e) => e.source === 'wasm').map((e) => e.message);

function request(url: string, opts: http.RequestOptions & { body?: (string | Buffer)[] } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; raw: string[]; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, raw: res.rawHeaders, body: Buffer.concat(chunks), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const b of opts.body ?? []) req.write(b);
    req.end();
  });
}

describe('gateway with the C probe module', () => {
  let g: Gateway;
  before(async () => {
    g = await gateway({
      wasm: probeWasm(),
      upstreamUrl: upstream.url,
      services: { 'cequence-edge-service': edge.url, 'cequence-auth-service': edge.url + '/auth' },
      config: { flags: 'probe' },
    });
  });

  test('reads the bundle: clusters from Services, plugin config from the binding (schema defaults filled in)', () => {
    assert.equal(g.config.clusters['cequence-edge-service.default.svc'], edge.url);
    assert.equal(g.policy?.bindingName, 'cequence-policy-binding');
    assert.deepEqual(g.policy?.config, { mode: 'defaulted', flags: 'probe' });
    const cfg = '{"mode":"defaulted","flags":"probe"}';
    assert.ok(wasmLines(g).includes(`configure id=1 size=${cfg.length} result=0 config=${cfg}`));
    assert.equal(g.vms.length, 1);
  });

  test('proxies to the upstream; multi-valued headers reach the filter as repeated pairs and the client', async () => {
    const r = await request(g.url + '/items?x=1', { headers: ['Host', 'api.test', 'X-Foo', '1', 'X-Foo', '2'] as unknown as http.OutgoingHttpHeaders });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), { url: '/items?x=1', body: '' });
    const seen = upstreamSeen.at(-1)!;
    assert.equal(seen.headers['x-probe'], 'added', 'request header added by the filter went upstream');
    assert.equal(seen.headers['x-foo'], '1, 2');
    const m = wasmLines(g);
    assert.ok(m.includes('rh x-foo=1') && m.includes('rh x-foo=2'));
    assert.ok(m.includes('rh :path=/items?x=1') && m.includes('rh :method=GET'));
    assert.ok(m.includes('sh set-cookie=a=1') && m.includes('sh set-cookie=b=2'));
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers['x-probe-resp'], '1');
  });

  test('keep-alive: several requests on one client connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const rs = [];
      for (let i = 0; i < 3; i++) rs.push(await request(g.url + `/k${i}`, { agent }));
      assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
      assert.deepEqual(rs.map((r) => r.reused), [false, true, true]);
    } finally {
      agent.destroy();
    }
  });

  test('a chunked request body streams to the upstream chunk by chunk (not buffered whole)', async () => {
    const before = upstreamSeen.length;
    const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(g.url + '/upload', { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: b }));
      });
      req.on('error', reject);
      req.write('part-one;');
      waitFor(() => upstreamSeen.length > before && upstreamSeen.at(-1)!.body.length > 0, 'first chunk upstream')
        .then(() => { req.write('part-two'); req.end(); }, reject);
    });
    const r = await done;
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).body, 'part-one;part-two');
    const m = wasmLines(g);
    assert.ok(m.some((x) => x.startsWith('request_body size=9 eos=0') && x.endsWith('data=part-one;')));
    assert.ok(m.some((x) => x.startsWith('request_body size=8 eos=0') && x.endsWith('data=part-two')));
    assert.ok(m.some((x) => x.startsWith('request_body size=0 eos=1')), 'chunked end comes as an empty end_of_stream chunk');
  });

  test('the policy reaches Services through http_call on cluster <name>.<namespace>.svc', async () => {
    const before = edgeSeen.length;
    await request(g.url + '/c', { headers: { 'x-call-cluster': 'cequence-edge-service.default.svc', 'x-call-path': '/api-transactions' } });
    await waitFor(() => edgeSeen.length > before, 'edge request');
    assert.equal(edgeSeen.at(-1), 'GET /api-transactions');
    await waitFor(() => wasmLines(g).find((x) => x === 'cbody result=0 edge-ok'), 'call response in the module');
  });

  test('client abort mid-response: no more callbacks for the response, but on_log, on_done, on_delete run', async () => {
    const ctxBefore = wasmLines(g).filter((x) => x.startsWith('context_create')).length;
    await new Promise<void>((resolve, reject) => {
      const req = http.request(g.url + '/slow-body', (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', () => {});
      req.end();
      setTimeout(() => reject(new Error('no data')), 3000).unref();
    });
    const created = await waitFor(() => {
      const c = wasmLines(g).filter((x) => x.startsWith('context_create'));
      return c.length > ctxBefore ? c.at(-1) : undefined;
    }, 'context');
    const id = /id=(\d+)/.exec(created)![1];
    await waitFor(() => wasmLines(g).includes(`delete id=${id}`), 'on_delete after abort');
    const m = wasmLines(g);
    assert.ok(m.indexOf(`log id=${id}`) < m.indexOf(`done id=${id}`));
    assert.ok(!m.some((x) => x.startsWith(`response_body size=6 eos=1`)), 'the response never completed');
    releaseSlowBody?.();
  });
});

describe('bindings and failures', () => {
  test('a binding whose targetRef names no ApiInstance: logged, and traffic passes without the policy', async () => {
    const g = await gateway({ wasm: probeWasm(), upstreamUrl: upstream.url, targetRef: { name: 'other-api' } });
    assert.ok(g.logs.some((l) => l.includes('ApiInstance not found on cequence-policy-binding')));
    assert.equal(g.policy, undefined);
    const r = await request(g.url + '/plain');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-probe-resp'], undefined);
  });

  test('a selector targetRef matching the ApiInstance labels applies the policy', async () => {
    const g = await gateway({
      wasm: probeWasm(), upstreamUrl: upstream.url, apiLabels: { team: 'payments' },
      targetRef: { kind: 'Selector', selector: { kind: 'ApiInstance', labels: { team: 'payments' } } },
    });
    const r = await request(g.url + '/sel');
    assert.equal(r.headers['x-probe-resp'], '1');
    const miss = await gateway({
      wasm: probeWasm(), upstreamUrl: upstream.url, apiLabels: { team: 'payments' },
      targetRef: { kind: 'Selector', selector: { labels: { team: 'other' } } },
    });
    assert.ok(miss.logs.some((l) => l.includes('ApiInstance not found on cequence-policy-binding')));
  });

  test('a trap fails the worker VM: 503 now and for later requests on it (fail closed)', async () => {
    const g = await gateway({ wasm: probeWasm(), upstreamUrl: upstream.url });
    const t = await request(g.url + '/trap');
    assert.equal(t.status, 503);
    assert.ok(g.vms[0].failed);
    assert.ok(g.logs.some((l) => l.includes('[critical]') && l.includes('Function: proxy_on_request_headers failed')));
    const later = await request(g.url + '/fine');
    assert.equal(later.status, 503);
  });

  test('fail-open: after a trap, requests pass without the filter', async () => {
    const g = await gateway({ wasm: probeWasm(), upstreamUrl: upstream.url }, { failOpen: true });
    const t = await request(g.url + '/trap');
    assert.equal(t.status, 200);
    const later = await request(g.url + '/fine');
    assert.equal(later.status, 200);
    assert.equal(later.headers['x-probe-resp'], undefined);
  });

  test('upstream connect failure: 503 from the gateway, through the filter', async () => {
    const g = await gateway({ wasm: probeWasm(), upstreamUrl: 'http://127.0.0.1:1/' });
    const r = await request(g.url + '/x');
    assert.equal(r.status, 503);
    assert.match(r.body.toString(), /^upstream connect error or disconnect\/reset before headers/);
    assert.equal(r.headers['x-probe-resp'], '1', 'the local reply went through on_response_headers');
  });

  test('file:// implementation mapped to a local file; a missing file is reported by name', async () => {
    const local = path.join(tempDir('emu-probe-'), 'probe.wasm');
    writeFileSync(local, probeWasm());
    const g = await gateway(
      { implementation: 'file:///etc/mulesoft/flex-gateway/wasm/cequence.wasm', upstreamUrl: upstream.url },
      { wasmPathMap: { '/etc/mulesoft/flex-gateway/wasm/cequence.wasm': local } },
    );
    assert.equal((await request(g.url + '/f')).headers['x-probe-resp'], '1');
    await assert.rejects(gateway({ implementation: 'file:///etc/mulesoft/flex-gateway/wasm/cequence.wasm', upstreamUrl: upstream.url }), /no such file: cequence\.wasm/);
  });
});

describe('streaming a large body with an AssemblyScript module', () => {
  test('a 50 MB response streams through the VM while the gateway process memory stays far below the body size', { timeout: 120_000 }, async (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc/<pid>/status');
    // The gateway runs as its own process, started by the CLI exactly as an operator would.
    const wasmFile = path.join(tempDir('emu-as-stream-'), 'as_stream.wasm');
    writeFileSync(wasmFile, compileAS('as_stream'));
    const dir = writeBundle({ implementation: 'file:///etc/mulesoft/flex-gateway/wasm/cequence.wasm', upstreamUrl: upstream.url, config: { any: 1 } });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'emulator/cli.ts'), '--dir', dir, '--port', '0', '--workers', '2',
      '--wasm-path', `/etc/mulesoft/flex-gateway/wasm/cequence.wasm=${wasmFile}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    try {
      const url = (await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 'gateway start', 30000));
      const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
      const MB = 1024 * 1024;
      const sentAtFirstByte: number[] = [];
      const transfer = async (mb: number) => {
        let peak = 0;
        const timer = setInterval(() => { peak = Math.max(peak, rss()); }, 5);
        let received = 0;
        const status = await new Promise<number>((resolve, reject) => {
          http.get(`${url}/big/${mb}`, (res) => {
            res.on('data', (c: Buffer) => {
              if (received === 0) {
                sentAtFirstByte.push(bigSent());
                releaseBig();
              }
              received += c.length;
            });
            res.on('end', () => resolve(res.statusCode!));
            res.on('error', reject);
          }).on('error', reject);
        });
        clearInterval(timer);
        peak = Math.max(peak, rss());
        assert.equal(status, 200);
        assert.equal(received, mb * MB);
        return peak;
      };
      const idle = rss();
      // Warm-up: JIT tiering of the module and the proxy path, connection pools, and V8's
      // external-memory GC threshold (socket read buffers are freed by GC in batches, and the
      // allocator keeps the pages for reuse): the process reaches a plateau that does not
      // depend on how many bytes flow through it.
      const peak0 = await transfer(20);
      const settled = rss();
      const peak1 = await transfer(50);
      const after1 = rss();
      const peak2 = await transfer(50);
      const total = 50 * MB;
      await waitFor(() => (out.match(new RegExp(`log request_bytes=0 response_bytes=${total}`, 'g')) ?? []).length === 2, 'module saw every byte, twice', 30000);
      assert.ok(out.includes(`response body total=${total} chunks=`));
      t.diagnostic(`gateway rss: idle ${(idle / MB).toFixed(1)} MB, 20 MB warm-up peak ${(peak0 / MB).toFixed(1)} MB, after it ${(settled / MB).toFixed(1)} MB, ` +
        `50 MB transfer peak ${(peak1 / MB).toFixed(1)} MB, after ${(after1 / MB).toFixed(1)} MB, second 50 MB transfer peak ${(peak2 / MB).toFixed(1)} MB`);
      // Streaming, not buffering: the upstream held back all but the first MiB of each body until the
      // client had a byte (a buffering gateway would never have given it one), so every transfer
      // above completing is the proof; the first byte came while the upstream was held back.
      assert.equal(sentAtFirstByte.length, 3);
      for (const x of sentAtFirstByte) assert.ok(x <= BIG_HELD_BACK_AT, `upstream had sent ${(x / MB).toFixed(1)} MB before the client got a byte`);
      // Bounded: 120 MB streamed, and memory does not grow with the bytes streamed. Peaks are
      // compared with peaks only: a single sample between transfers (`settled`, `after1`) lands
      // anywhere between the plateau and a GC trough (seen 98 MB vs 113 MB on a loaded machine),
      // so it is no baseline. A gateway that buffered bodies would peak 30 MB higher on 50 MB
      // than on the 20 MB warm-up; once warm, a 50 MB transfer's peak stays within half a body
      // of the warm-up's (3.5-8 MB above it in 12 loaded runs), and the second 50 MB transfer does
      // not raise it.
      assert.ok(peak1 - peak0 < total / 2, `the 50 MB transfer peaked ${((peak1 - peak0) / MB).toFixed(1)} MB above the 20 MB warm-up's peak`);
      // Peak-to-peak noise between equal transfers reached 8.3 MB under load (GC batches), so the
      // bound is half a body: a gateway keeping each transfer's body (a leak) would exceed it.
      assert.ok(peak2 - peak1 < total / 2, `the second 50 MB transfer raised the peak by ${((peak2 - peak1) / MB).toFixed(1)} MB`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
