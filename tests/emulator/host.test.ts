// Host tests driven by tests/emulator/modules/probe.wasm, a module written in C without any SDK.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type http from 'node:http';
import {
  createHost, decodePairs, disallowedImports, encodePairs, WasmResult, type Pairs, type ProxyWasmHost, type StreamSink,
} from '../../emulator/host/index.ts';
import { closedPort, hexProp, listen, messages, probeHost, probeWasm, sleep, waitFor } from './helpers.ts';

const REQ: Pairs = [
  [':method', 'POST'], [':path', '/a/b?q=1'], [':authority', 'api.test'], [':scheme', 'http'],
  ['x-foo', '1'], ['x-foo', '2'], ['x-remove', 'gone'], ['x-replace', 'old'], ['x-replace', 'old2'],
];
const RESP: Pairs = [[':status', '200'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'text/plain']];

const hosts: ProxyWasmHost[] = [];
async function host(opts: Parameters<typeof probeHost>[0] = {}) {
  const h = await probeHost(opts);
  hosts.push(h);
  return h;
}
after(() => { for (const h of hosts) h.close(); });

/** Hand-assembled wasm module importing the given (module, name) functions of type () -> (). */
function moduleImporting(imports: [string, string][]): Uint8Array {
  const str = (s: string) => [s.length, ...Buffer.from(s)];
  const typeSec = [1, 0x60, 0, 0];
  const imp: number[] = [imports.length];
  for (const [m, n] of imports) imp.push(...str(m), ...str(n), 0x00, 0);
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, typeSec), ...section(2, imp)]);
}

describe('module loading', () => {
  test('refuses imports Envoy does not provide: disallowedImports lists each, the host names the first (as Envoy)', async () => {
    const bytes = moduleImporting([['env', 'proxy_log'], ['env', 'abort'], ['env', 'seed'], ['wasi_snapshot_preview1', 'sock_accept'], ['wasi_snapshot_preview1', 'fd_write']]);
    assert.deepEqual(disallowedImports(new WebAssembly.Module(bytes)), ['env.abort', 'env.seed', 'wasi_snapshot_preview1.sock_accept']);
    const lines: string[] = [];
    await assert.rejects(createHost(bytes, { pluginName: 'probe', onLog: (e) => lines.push(e.line) }), (e: Error) => {
      assert.equal(e.message, 'Failed to load Wasm module due to a missing import: env.abort');
      return true;
    });
    assert.deepEqual(lines.map((l) => l.replace(/^\[[^\]]*\]\[\d+\]/, '')), [
      '[error][wasm] [source/extensions/common/wasm/wasm_vm.cc:38] Failed to load Wasm module due to a missing import: env.abort',
      '[error][wasm] [source/extensions/common/wasm/wasm.cc:104] Wasm VM failed Failed to initialize Wasm code',
      '[critical][wasm] [source/extensions/common/wasm/wasm.cc:626] Plugin probe failed to load',
    ]);
  });

  test('the C probe module imports only env.proxy_* and WASI functions and is accepted', async () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(probeWasm()));
    assert.ok(imports.length > 10);
    for (const i of imports) assert.ok((i.module === 'env' && i.name.startsWith('proxy_')) || i.module === 'wasi_snapshot_preview1', `${i.module}.${i.name}`);
    await host();
  });

  test('_initialize, root context with root id, on_vm_start, on_configure with the plugin configuration', async () => {
    const h = await host({ config: 'cfg-bytes-here', rootId: 'main' });
    const m = messages(h);
    const idx = (p: string) => m.findIndex((x) => x.startsWith(p));
    assert.ok(idx('initialize') === 0);
    assert.ok(idx('context_create id=1 parent=0') > idx('initialize'));
    assert.ok(idx('vm_start id=1') > idx('context_create id=1'));
    assert.ok(m.includes('configure id=1 size=14 result=0 config=cfg-bytes-here'));
    assert.ok(idx('configure') > idx('vm_start'));
    assert.equal(hexProp(h, 'plugin_root_id')?.hex, Buffer.from('main').toString('hex'));
    assert.equal(hexProp(h, 'plugin_name')?.hex, Buffer.from('probe').toString('hex'));
    // stream attributes do not exist in the root context
    assert.equal(hexProp(h, 'root_request_path')?.result, WasmResult.NotFound);
  });

  test('on_configure returning false fails the plugin load', async () => {
    await assert.rejects(createHost(probeWasm(), { config: 'reject' }), /Failed to configure/);
  });
});

describe('stream lifecycle and header maps', () => {
  test('callback order, ending with on_log, on_done, on_delete', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: REQ, body: ['ab', 'cd'], trailers: [['x-t', '1']] }, response: { headers: RESP, body: ['xyz'], trailers: [['grpc-status', '0']] } });
    const id = r.contextId;
    assert.equal(id, 2);
    const seq = messages(h)
      .map((m) => /^(context_create|request_headers|request_body|request_trailers|response_headers|response_body|response_trailers|log|done|delete) (id|size)=/.exec(m)?.[1])
      .filter(Boolean);
    assert.deepEqual(seq.slice(seq.lastIndexOf('context_create')), [
      'context_create', 'request_headers', 'request_body', 'request_body', 'request_trailers',
      'response_headers', 'response_body', 'response_trailers', 'log', 'done', 'delete',
    ]);
    assert.ok(messages(h).includes(`context_create id=${id} parent=1`));
  });

  test('pairs format: multi-valued headers arrive as repeated pairs, in order; modifications go upstream', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: REQ }, response: { headers: RESP } });
    const m = messages(h);
    assert.ok(m.includes(`request_headers id=${r.contextId} n=${REQ.length} eos=1`));
    const rh = m.filter((x) => x.startsWith('rh ') && !x.startsWith('rh result')).map((x) => x.slice(3));
    assert.deepEqual(rh, REQ.map(([k, v]) => `${k}=${v}`));
    const sh = m.filter((x) => x.startsWith('sh ') && !x.startsWith('sh result')).map((x) => x.slice(3));
    assert.deepEqual(sh, RESP.map(([k, v]) => `${k}=${v}`));
    // header_map_size is Envoy's HeaderMap::byteSize()
    const bytes = REQ.reduce((a, [k, v]) => a + k.length + v.length, 0);
    assert.ok(m.includes(`header_map_size result=0 size=${bytes}`));
    const up = r.upstream.headers!;
    assert.deepEqual(up.filter(([k]) => k === 'x-foo'), [['x-foo', '1'], ['x-foo', '2']]);
    assert.ok(up.some(([k, v]) => k === 'x-probe' && v === 'added'));
    assert.ok(!up.some(([k]) => k === 'x-remove'));
    assert.deepEqual(up.filter(([k]) => k === 'x-replace'), [['x-replace', 'replaced']]);
    assert.ok(r.downstream.headers!.some(([k, v]) => k === 'x-probe-resp' && v === '1'));
    assert.deepEqual(r.downstream.headers!.filter(([k]) => k === 'set-cookie'), [['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
  });

  test('header maps are only readable in their own callback (BadArgument later), and again in on_log', async () => {
    const h = await host();
    h.runStream({ request: { headers: REQ, body: ['x'], trailers: [['x-t', 'v']] }, response: { headers: RESP, body: ['y'] } });
    const m = messages(h);
    assert.ok(m.includes(`request_body :path result=${WasmResult.BadArgument}`));
    assert.ok(m.includes(`rt-after :path result=${WasmResult.BadArgument}`));
    assert.ok(m.includes(`req-in-resp :path result=${WasmResult.BadArgument}`));
    assert.ok(m.includes(`response_body :path result=${WasmResult.BadArgument}`));
    assert.ok(m.includes('log-req :path result=0 value=/a/b?q=1'));
    assert.ok(m.includes('log-resp :status result=0 value=200'));
    assert.ok(m.includes('rt x-t=v'));
  });

  test('encodePairs/decodePairs round-trip and malformed input gives no pairs', () => {
    const p: Pairs = [['a', '1'], ['', ''], ['k\u00ff', 'v\u0001']];
    assert.deepEqual(decodePairs(encodePairs(p)), p);
    assert.deepEqual(decodePairs(Buffer.from([5, 0, 0, 0, 1])), []);
  });
});

describe('bodies', () => {
  test('Continue: body_size is the current chunk, every chunk goes on as it comes', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: REQ, body: ['hello ', 'big ', 'world'] }, response: { headers: RESP, body: ['r1', 'r2'] } });
    const m = messages(h).filter((x) => x.startsWith('request_body size'));
    assert.deepEqual(m.map((x) => /size=(\d+) eos=(\d)/.exec(x)!.slice(1).join('/')), ['6/0', '4/0', '5/1']);
    assert.ok(m[1].endsWith('data=big '));
    assert.equal(r.upstream.chunks, 3);
    assert.equal(r.upstream.body.toString(), 'hello big world');
    assert.equal(r.downstream.body.toString(), 'r1r2');
  });

  test('Pause (StopIterationAndBuffer): the host buffers, reports the accumulated size, releases on Continue', async () => {
    const h = await host({ config: 'pause_body' });
    const up: Buffer[] = [];
    const sink: StreamSink = {
      requestHeaders() {}, requestData(c) { up.push(c); }, requestTrailers() {},
      responseHeaders() {}, responseData() {}, responseTrailers() {},
    };
    const s = h.openStream(sink);
    s.requestHeaders(REQ, false);
    s.requestData(Buffer.from('hello '), false);
    assert.equal(up.length, 0, 'paused data must not go upstream');
    s.requestData(Buffer.from('big '), false);
    assert.equal(up.length, 0);
    s.requestData(Buffer.from('world'), true);
    assert.deepEqual(up.map(String), ['hello big world']);
    s.complete();
    const m = messages(h).filter((x) => x.startsWith('request_body size'));
    assert.deepEqual(m.map((x) => /size=(\d+) eos=(\d)/.exec(x)![1]), ['6', '10', '15']);
    assert.ok(m[2].includes('status_len=15 data=hello big world'));
  });

  test('set_buffer_bytes replaces the body that goes upstream', async () => {
    const h = await host({ config: 'rewrite_body' });
    const r = h.runStream({ request: { headers: REQ, body: ['original'] }, response: { headers: RESP } });
    assert.equal(r.upstream.body.toString(), 'REWRITTEN');
  });

  test('trailers reach the filter as pairs and go on', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: REQ, body: ['a'], trailers: [['x-sum', '1'], ['x-sum', '2']] }, response: { headers: RESP, body: ['b'], trailers: [['grpc-status', '0']] } });
    const m = messages(h);
    assert.ok(m.includes(`request_trailers id=${r.contextId} n=2`));
    assert.ok(m.includes('rt x-sum=1') && m.includes('rt x-sum=2'));
    assert.ok(m.includes('st grpc-status=0'));
    assert.deepEqual(r.upstream.trailers, [['x-sum', '1'], ['x-sum', '2']]);
    assert.deepEqual(r.downstream.trailers, [['grpc-status', '0']]);
    // with trailers, the last data frame does not carry end_of_stream
    assert.ok(m.some((x) => x.startsWith('request_body size=1 eos=0')));
  });
});

describe('properties', () => {
  test("Envoy encodings: strings raw, integers 8-byte little-endian, NotFound for unknown", async () => {
    const h = await host({ config: 'props' });
    const before = BigInt(Date.now()) * 1_000_000n;
    const r = h.runStream({
      connection: { sourceAddress: '10.1.2.3', sourcePort: 40001, destinationAddress: '127.0.0.1', destinationPort: 8081, connectionId: 42 },
      request: { headers: REQ, body: ['12345'] },
      response: { headers: RESP, body: ['abc'] },
    });
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    const s = (l: string) => Buffer.from(hexProp(h, l)!.hex!, 'hex').toString();
    const i64 = (l: string) => { const p = hexProp(h, l)!; assert.equal(p.hex!.length, 16, l); return Buffer.from(p.hex!, 'hex').readBigInt64LE(); };
    assert.equal(s('source.address'), '10.1.2.3:40001');
    assert.equal(i64('source.port'), 40001n);
    assert.equal(s('destination.address'), '127.0.0.1:8081');
    assert.equal(i64('destination.port'), 8081n);
    assert.equal(s('request.path'), '/a/b?q=1');
    assert.equal(s('request.url_path'), '/a/b');
    assert.equal(s('request.host'), 'api.test');
    assert.equal(s('request.scheme'), 'http');
    assert.equal(s('request.method'), 'POST');
    assert.equal(s('request.protocol'), 'HTTP/1.1');
    assert.equal(s('request.headers.x-foo'), '1,2');
    const t = i64('request.time');
    assert.ok(t >= before - 5_000_000n && t <= after, `request.time ${t} not in [${before}, ${after}]`);
    assert.equal(hexProp(h, 'request.duration')!.result, WasmResult.NotFound, 'duration only exists once the request completed');
    assert.equal(hexProp(h, 'response.code')!.result, WasmResult.NotFound, 'no response yet during request headers');
    assert.equal(i64('connection.id'), 42n);
    // Envoy 1.40 has the node only as `xds.node` (tests/conformance/properties.test.ts)
    assert.equal(hexProp(h, 'node.id')!.result, WasmResult.NotFound);
    assert.equal(hexProp(h, 'unknown')!.result, WasmResult.NotFound);
    // later phases
    const code = messages(h).filter((m) => m.startsWith('prop response.code result=0 hex='));
    assert.equal(Buffer.from(code[0].split('hex=')[1], 'hex').readBigInt64LE(), 200n);
    assert.ok(i64('log.request.duration') >= 0n);
    assert.equal(i64('log.response.size'), 3n);
    assert.equal(r.contextId, 2);
  });
});

describe('logging, time, metrics, WASI', () => {
  test('log levels map to Envoy levels, lines carry the message verbatim, the level filter applies', async () => {
    const h = await host({ logLevel: 'trace' });
    const lv = h.logs.filter((e) => /^level \d$/.test(e.message));
    assert.deepEqual(lv.map((e) => e.level), ['trace', 'debug', 'info', 'warn', 'error', 'critical']);
    // Envoy 1.40: one ENVOY_LOG per level in Context::log; a root context's lines say `wasm log <root_id>:`.
    const files = ['1145', '1148', '1151', '1154', '1157', '1160'];
    lv.forEach((e, i) => {
      assert.ok(e.line.includes(`[source/extensions/common/wasm/context.cc:${files[i]}] wasm log main: ${e.message}`), e.line);
      assert.match(e.line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[\d+\]\[(trace|debug|info|warning|error|critical)\]\[wasm\] /);
    });
    assert.ok(messages(h).includes('log_level=0'));
    const dflt = await host();
    assert.deepEqual(dflt.logs.filter((e) => /^level \d$/.test(e.message)).map((e) => e.message), ['level 2', 'level 3', 'level 4', 'level 5']);
    assert.ok(messages(dflt).includes('log_level=2'));
    const sunk: string[] = [];
    await host({ onLog: (e) => sunk.push(e.line), keepLogs: false });
    assert.ok(sunk.some((l) => l.endsWith('] wasm log main: vm_start id=1 vm_config_size=0')), sunk.join('\n'));
  });

  test('the line prefix follows the context, as Envoy prints it: none in _initialize, root id in a root context, plugin and root id in a stream', async () => {
    const h = await host();
    h.runStream({ request: { headers: { ':method': 'GET', ':path': '/p', ':authority': 'a' } }, response: { headers: { ':status': '200' } } });
    const line = (m: string) => h.logs.find((e) => e.message === m)?.line ?? `no line ${m}`;
    assert.match(line('initialize'), /\] wasm log: initialize$/);
    assert.match(line('vm_start id=1 vm_config_size=0'), /\] wasm log main: vm_start/);
    assert.match(line('hello from stdout'), /\] wasm log main: hello from stdout$/);
    assert.match(line('context_create id=2 parent=1'), /\] wasm log probe main: context_create id=2/);
    assert.match(line('delete id=2'), /\] wasm log probe main: delete id=2$/);
  });

  test('proxy_get_current_time_nanoseconds is wall-clock time', async () => {
    const before = BigInt(Date.now() - 1) * 1_000_000n;
    const h = await host();
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    const ns = BigInt(messages(h).find((m) => m.startsWith('now_ns='))!.slice(7));
    assert.ok(ns >= before && ns <= after);
  });

  test('WASI fd_write to stdout becomes an info log line', async () => {
    const h = await host();
    const e = h.logs.find((x) => x.message === 'hello from stdout');
    assert.equal(e?.level, 'info');
  });

  test('metrics: define, increment (positive only for counters), get', async () => {
    const h = await host({ config: 'metrics' });
    assert.ok(messages(h).includes('metric define=0 id=0 inc=0 inc_neg=2 get=0 value=5'));
    assert.equal(h.metricValues().probe_requests, 5n);
  });

  test('tick timer calls proxy_on_tick on the root context until the period is set to 0', async () => {
    const h = await host({ config: 'tick' });
    await waitFor(() => messages(h).includes('tick id=1 n=3'), 'three ticks');
    await sleep(50);
    assert.equal(messages(h).filter((m) => m.startsWith('tick ')).length, 3);
  });
});

describe('http_call', () => {
  let upstream: Awaited<ReturnType<typeof listen>>;
  const seen: { method?: string; url?: string; host?: string }[] = [];
  const held: http.ServerResponse[] = [];
  after(async () => { for (const r of held) r.destroy(); await upstream?.close(); });

  async function setup() {
    upstream ??= await listen((req, res) => {
      seen.push({ method: req.method, url: req.url, host: req.headers.host });
      if (req.url === '/hang') { held.push(res); return; }
      if (req.url === '/reset-after-headers') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.flushHeaders();
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (req.url === '/close-before-headers') { req.socket.destroy(); return; }
      res.setHeader('x-multi', ['1', '2']);
      res.end('pong:' + req.url);
    });
    return upstream;
  }
  const call = (h: ProxyWasmHost, cluster: string, path: string, timeout = 2000) =>
    h.runStream({ request: { headers: [...REQ.slice(0, 4), ['x-call-cluster', cluster], ['x-call-path', path], ['x-call-timeout', String(timeout)]] }, response: { headers: RESP } });
  const responseLine = async (h: ProxyWasmHost) => waitFor(() => messages(h).find((m) => m.startsWith('call_response ')), 'call response');

  test('routed by exact cluster name; response headers (type 6) and body (type 4) readable in the callback on the root context', async () => {
    const up = await setup();
    const h = await host({ clusters: { 'edge.default.svc': up.url } });
    call(h, 'edge.default.svc', '/ping');
    assert.ok(messages(h).includes('call result=0 token=1'));
    const line = await responseLine(h);
    assert.match(line, /^call_response id=1 token=1 headers=\d+ body=10 trailers=0$/);
    const m = messages(h);
    assert.ok(m.includes('ch :status=200'));
    assert.ok(m.includes('ch x-multi=1') && m.includes('ch x-multi=2'));
    assert.ok(m.includes('cv :status result=0 value=200'));
    assert.ok(m.includes('cbody result=0 pong:/ping'));
    assert.deepEqual(seen.at(-1), { method: 'GET', url: '/ping', host: 'probe' });
  });

  test('unknown cluster: BAD_ARGUMENT at once and no callback ever', async () => {
    const up = await setup();
    const h = await host({ clusters: { 'edge.default.svc': up.url } });
    call(h, 'edge.other.svc', '/ping');
    assert.ok(messages(h).includes(`call result=${WasmResult.BadArgument} token=0`));
    assert.equal(h.pendingHttpCalls, 0);
    await sleep(50);
    assert.ok(!messages(h).some((m) => m.startsWith('call_response')));
  });

  test('timeout: answered as :status 504 "upstream request timeout"', async () => {
    const up = await setup();
    const h = await host({ clusters: { c: up.url } });
    call(h, 'c', '/hang', 50);
    await responseLine(h);
    const m = messages(h);
    assert.ok(m.includes('ch :status=504'));
    assert.ok(m.includes('cbody result=0 upstream request timeout'));
  });

  test('connect failure: answered as :status 503', async () => {
    const port = await closedPort();
    const h = await host({ clusters: { c: `http://127.0.0.1:${port}` } });
    call(h, 'c', '/x');
    await responseLine(h);
    const m = messages(h);
    assert.ok(m.includes('ch :status=503'));
    assert.ok(m.some((x) => x.startsWith('cbody result=0 upstream connect error or disconnect/reset before headers')));
  });

  test('reset after the response started: 0 headers, 0 body, status BrokenConnection "reset"', async () => {
    const up = await setup();
    const h = await host({ clusters: { c: up.url } });
    call(h, 'c', '/reset-after-headers');
    const line = await responseLine(h);
    assert.equal(line, 'call_response id=1 token=1 headers=0 body=0 trailers=0');
    assert.ok(messages(h).includes(`call_status code=${WasmResult.BrokenConnection} message=reset`));
  });

  test('connection closed before any response header: 503 (Envoy: reset before headers)', async () => {
    const up = await setup();
    const h = await host({ clusters: { c: up.url } });
    call(h, 'c', '/close-before-headers');
    await responseLine(h);
    assert.ok(messages(h).includes('ch :status=503'));
  });

  test('a stream paused in request headers resumes from the call callback (set_effective_context + continue_stream)', async () => {
    const up = await setup();
    const h = await host({ clusters: { c: up.url }, config: 'pause_for_call' });
    let upstreamHeaders: Pairs | undefined;
    const s = h.openStream({
      requestHeaders(hd) { upstreamHeaders = hd; }, requestData() {}, requestTrailers() {},
      responseHeaders() {}, responseData() {}, responseTrailers() {},
    });
    s.requestHeaders([...REQ.slice(0, 4), ['x-call-cluster', 'c'], ['x-call-path', '/auth']], true);
    assert.equal(upstreamHeaders, undefined, 'headers held while the filter waits');
    await waitFor(() => upstreamHeaders, 'resumed request');
    assert.ok(messages(h).includes('resume ctx=2 effective=0 continue=0'));
    s.complete();
  });
});

describe('shared data and workers', () => {
  test('several worker VMs, one root context each; streams spread round-robin', async () => {
    const h = await host({ workers: 3 });
    assert.equal(h.vms.length, 3);
    assert.equal(messages(h).filter((m) => m.startsWith('vm_start id=1')).length, 3);
    const workers = [0, 1, 2, 3].map(() => h.runStream({ request: { headers: REQ }, response: { headers: RESP } }).worker);
    assert.deepEqual(workers, [0, 1, 2, 0]);
    assert.deepEqual(new Set(h.logs.filter((e) => e.message.startsWith('vm_start')).map((e) => e.worker)), new Set([0, 1, 2]));
  });

  test('shared data is shared across workers with compare-and-swap', async () => {
    const h = await host({ workers: 2 });
    const op = (worker: number, value: string, cas?: number) => {
      const hd: Pairs = [...REQ.slice(0, 4), ['x-shared-key', 'k1'], ['x-shared-value', value]];
      if (cas !== undefined) hd.push(['x-shared-cas', String(cas)]);
      const before = messages(h).length;
      h.runStream({ worker, request: { headers: hd }, response: { headers: RESP } });
      const m = messages(h).slice(before);
      const get = /shared_get result=(\d+) cas=(\d+) value=(.*)/.exec(m.find((x) => x.startsWith('shared_get'))!)!;
      const set = Number(/shared_set result=(\d+)/.exec(m.find((x) => x.startsWith('shared_set'))!)![1]);
      return { get: { result: Number(get[1]), cas: Number(get[2]), value: get[3] }, set };
    };
    const a = op(0, 'v1');
    assert.equal(a.get.result, WasmResult.NotFound);
    assert.equal(a.set, WasmResult.Ok);
    const b = op(1, 'v2', 999999);
    assert.equal(b.get.result, WasmResult.Ok);
    assert.equal(b.get.value, 'v1', 'worker 1 sees what worker 0 wrote');
    assert.equal(b.set, WasmResult.CasMismatch);
    const c = op(1, 'v3', b.get.cas);
    assert.equal(c.get.value, 'v1');
    assert.equal(c.set, WasmResult.Ok);
    const d = op(0, 'v4', b.get.cas);
    assert.equal(d.get.value, 'v3');
    assert.notEqual(d.get.cas, b.get.cas);
    assert.equal(d.set, WasmResult.CasMismatch, 'stale cas is refused');
  });
});

describe('traps, local replies, aborts', () => {
  test('a trap fails the VM: that stream and later ones on the worker get 503 (fail closed); other workers are fine', async () => {
    const h = await host({ workers: 2 });
    const trap = h.runStream({ worker: 0, request: { headers: [[':method', 'GET'], [':path', '/trap'], [':authority', 'a']] }, response: { headers: RESP } });
    assert.equal(trap.downstream.headers![0][1], '503');
    assert.deepEqual(trap.localReply, { status: 503, details: 'wasm_fail_stream' });
    assert.equal(trap.upstream.headers, undefined, 'nothing went upstream');
    assert.ok(h.vms[0].failed);
    assert.ok(h.logs.some((e) => e.level === 'critical' && /Function: proxy_on_request_headers failed: Uncaught RuntimeError/.test(e.message)));
    const before = messages(h).length;
    const later = h.runStream({ worker: 0, request: { headers: REQ }, response: { headers: RESP } });
    assert.equal(later.downstream.headers![0][1], '503');
    assert.equal(later.upstream.headers, undefined);
    assert.equal(messages(h).length, before, 'the failed VM is never called again');
    const other = h.runStream({ worker: 1, request: { headers: REQ }, response: { headers: RESP } });
    assert.equal(other.downstream.headers![0][1], '200');
  });

  test('fail-open: the trapping stream and later ones pass without the filter', async () => {
    const h = await host({ failOpen: true });
    const trap = h.runStream({ request: { headers: [[':method', 'GET'], [':path', '/trap'], [':authority', 'a']] }, response: { headers: RESP, body: ['ok'] } });
    assert.equal(trap.upstream.headers?.find(([k]) => k === ':path')?.[1], '/trap');
    assert.equal(trap.downstream.headers![0][1], '200');
    const later = h.runStream({ request: { headers: REQ, body: ['b'] }, response: { headers: RESP, body: ['ok'] } });
    assert.equal(later.downstream.body.toString(), 'ok');
    assert.ok(!later.upstream.headers!.some(([k]) => k === 'x-probe'), 'the filter did not run');
  });

  test('WASI proc_exit traps the VM', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: [[':method', 'GET'], [':path', '/exit'], [':authority', 'a']] }, response: { headers: RESP } });
    assert.equal(r.downstream.headers![0][1], '503');
    assert.ok(h.vms[0].failed);
    assert.match(h.vms[0].failure!, /proc_exit\(3\)/);
  });

  test('send_local_response answers without going upstream, through the response callbacks', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: [[':method', 'GET'], [':path', '/local'], [':authority', 'a']] }, response: { headers: RESP } });
    assert.equal(r.upstream.headers, undefined);
    assert.deepEqual(r.localReply, { status: 403, details: 'probe_denied' });
    const hd = r.downstream.headers!;
    assert.equal(hd[0][1], '403');
    assert.ok(hd.some(([k, v]) => k === 'x-local' && v === 'yes'));
    assert.equal(r.downstream.body.toString(), 'denied');
    assert.ok(messages(h).some((m) => m.startsWith(`response_headers id=${r.contextId}`)));
  });

  test('client abort: no response callbacks, but on_log, on_done, on_delete still run', async () => {
    const h = await host();
    const r = h.runStream({ request: { headers: REQ, body: ['partial'] }, abortAfterRequest: true });
    const m = messages(h);
    assert.ok(!m.some((x) => x.startsWith('response_headers')));
    for (const x of ['log', 'done', 'delete']) assert.ok(m.includes(`${x} id=${r.contextId}`), x);
    assert.ok(m.indexOf(`log id=${r.contextId}`) < m.indexOf(`done id=${r.contextId}`));
    assert.ok(m.indexOf(`done id=${r.contextId}`) < m.indexOf(`delete id=${r.contextId}`));
  });
});
