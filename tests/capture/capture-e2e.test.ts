// Capture end to end, on every host (the emulator's gateway and real Envoy): real HTTP through a
// gateway loaded from the shipped bundle (2 workers) to a recording upstream, with the mock Cequence
// collecting what the policy posts. For a varied set of calls, every batch Edge receives is in
// Cequence's wire format (emulator/wire-format.ts: schema/batch.schema.json plus the byte checks), and
// each transaction's headers and bodies decode to exactly the bytes, up to the limit, that the upstream
// received and that the client received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachHost, startSubject, type HostName, type Subject, type Request, type Sent } from '../../harness/index.ts';
import { assertTransaction, assertBatch, decodeBody, headerValues, regularHeaders, isTruncated, TRUNCATED_ENTRY } from '../../emulator/wire-format.ts';
import { patternBytes, type UpstreamExchange } from '../../emulator/upstream.ts';

const LIMIT = 32768;
// Headers that belong to one hop (the gateway and Node's HTTP stack add or drop them per connection),
// and the one Envoy's router adds upstream after the filters ran.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-envoy-expected-rq-timeout-ms']);
// The gateway's node id, which the policy reports as source_info.instance_id.
const INSTANCE_ID: Record<HostName, string> = { emulator: 'flex-gateway-emulator', envoy: 'flex-gateway' };

interface Case extends Request {
  name: string;
  /** Expected to be captured (status inside 100..499). */
  captured: boolean;
}

const binary = patternBytes('binary', 0, 3000);
const forty = patternBytes('text', 0, 40 * 1024);

function c(name: string, method: string, path: string, extra: [string, string][] = [], body?: Buffer | Buffer[], captured = true): Case {
  return { name, method, path, headers: [['x-case', name], ...extra], body, captured };
}

const CASES: Case[] = [
  c('get-query-repeated', 'GET', '/items?id=7&q=a%20b&tag=x&tag=y', [['accept', 'application/json'], ['x-multi', 'one'], ['x-multi', 'two'], ['cookie', 'a=1'], ['user-agent', 'capture-e2e/1.0']]),
  c('post-json', 'POST', '/orders?header=x-resp:1&header=x-resp:2', [['content-type', 'application/json']], Buffer.from(JSON.stringify({ sku: 'A-1', qty: 2, note: 'Zoë "quoted" \\ \u0001' }))),
  c('post-form', 'POST', '/login', [['content-type', 'application/x-www-form-urlencoded']], Buffer.from('user=alice&pass=s%20cret&x=%E2%82%AC')),
  c('post-40k', 'POST', '/upload?size=40960', [['content-type', 'text/plain']], forty),
  c('post-binary', 'POST', '/bin?binary=1&size=3000', [['content-type', 'application/octet-stream']], binary),
  c('post-empty', 'POST', '/empty?status=201', [['content-type', 'application/json']], Buffer.alloc(0)),
  c('status-204', 'DELETE', '/thing/1?status=204'),
  c('status-304', 'GET', '/cached?status=304', [['if-none-match', '"v1"']]),
  c('status-404', 'GET', '/missing?status=404'),
  c('status-499', 'GET', '/edge?status=499'),
  c('status-500', 'GET', '/boom?status=500', [], undefined, false),
  c('chunked-both', 'PUT', '/stream?chunked=1', [['content-type', 'text/plain']], [Buffer.from('first,'), Buffer.from('second,'), Buffer.from('third €')]),
  c('raw-echo-utf8-cut', 'POST', '/raw?raw=1', [['content-type', 'text/plain; charset=utf-8']], Buffer.from('€'.repeat(11000))),
];

forEachHost('capture end to end', (host) => {
  let env: Subject;
  const sent = new Map<string, Sent>();
  const txns = new Map<string, any>();
  let batches: unknown[] = [];

  function caseOf(t: any): string {
    return headerValues(t.request, 'x-case')[0] ?? '';
  }

  let started = 0;
  before(async () => {
    started = Date.now();
    env = await startSubject({ host, workers: 2 });
    for (const k of CASES) sent.set(k.name, await env.send(k));
    const expected = CASES.filter((k) => k.captured).length;
    const all = (await env.mock.waitForTransactions(expected, 10000)) as any[];
    for (const t of all) txns.set(caseOf(t), t);
    batches = env.mock.batches.map((b) => b.json);
  });

  after(async () => {
    await env?.close();
  });

  function exchangeOf(name: string): UpstreamExchange {
    const ex = env.upstream.exchanges.find((e) => e.headers['x-case'] === name);
    assert.ok(ex, `upstream saw ${name}`);
    return ex!;
  }

  function upstreamPairs(ex: UpstreamExchange): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < ex.rawHeaders.length; i += 2) out.push([ex.rawHeaders[i].toLowerCase(), ex.rawHeaders[i + 1]]);
    return out.filter(([k]) => !HOP.has(k));
  }

  function txnPairs(side: any): [string, string][] {
    return regularHeaders(side).map((h) => [h.name, h.value.toString('latin1')] as [string, string]).filter(([k]) => !HOP.has(k));
  }

  test('every call passes unchanged and every transaction and batch validates against the schemas', () => {
    for (const k of CASES) {
      const s = sent.get(k.name)!;
      const ex = exchangeOf(k.name);
      assert.equal(ex.response?.status, s.status, `${k.name}: the client got the upstream's status`);
      assert.ok(s.body.equals(ex.response!.body.bytes), `${k.name}: the client got the upstream's body`);
      const reqBody = Array.isArray(k.body) ? Buffer.concat(k.body) : (k.body ?? Buffer.alloc(0));
      assert.ok(ex.request.bytes.equals(reqBody), `${k.name}: the upstream got the client's body`);
    }
    assert.ok(batches.length >= 1);
    for (const b of batches) assertBatch(b);
    for (const t of txns.values()) assertTransaction(t);
    assert.equal(txns.size, CASES.filter((k) => k.captured).length);
  });

  test('captured headers equal what the upstream received and what the client received', () => {
    for (const k of CASES.filter((x) => x.captured)) {
      const t = txns.get(k.name);
      assert.ok(t, `${k.name} captured`);
      const ex = exchangeOf(k.name);
      assert.deepEqual(txnPairs(t.request), upstreamPairs(ex), `${k.name}: request headers`);
      const s = sent.get(k.name)!;
      // Envoy's connection manager writes `server: envoy` after the filter chain ran (the filter never sees it).
      const downstream = s.headers.filter(([n]) => !HOP.has(n) && !(host === 'envoy' && n === 'server'));
      assert.deepEqual(txnPairs(t.response), downstream, `${k.name}: response headers`);
      assert.equal(t.response['status-code'], String(s.status));
      assert.equal(t.request['http-method'], k.method);
      assert.equal(t.request['uri-query-fragment'], k.path);
      assert.equal(t.request.host, `127.0.0.1:${env.port}`);
      assert.equal(t.request['client-ip'], '127.0.0.1');
      assert.equal(t.request['http-scheme'], 'http');
      assert.equal(t.request['http-version'], '1.1');
      assert.deepEqual(t.request.connection, { 'connection-ip': '127.0.0.1', 'connection-port': s.localPort, 'server-ip': '127.0.0.1', 'server-port': env.port });
    }
    const g = txns.get('get-query-repeated');
    assert.deepEqual(g.request.headers.filter((h: string) => h.startsWith('x-multi:')), ['x-multi:b25l', 'x-multi:dHdv']);
    const p = txns.get('post-json');
    assert.deepEqual(headerValues(p.response, 'x-resp'), ['1', '2']);
  });

  test('captured bodies equal the bytes that passed, up to the limit, with sizes and the truncation header', () => {
    for (const k of CASES.filter((x) => x.captured)) {
      const t = txns.get(k.name);
      const ex = exchangeOf(k.name);
      const s = sent.get(k.name)!;
      const req = ex.request.bytes;
      assert.ok(decodeBody(t.request).equals(req.subarray(0, LIMIT)), `${k.name}: request body`);
      assert.equal(t.request.body.length, Math.min(req.length, LIMIT));
      assert.equal(isTruncated(t.request), req.length > LIMIT, `${k.name}: request truncation entry`);
      assert.ok(decodeBody(t.response).equals(s.body.subarray(0, LIMIT)), `${k.name}: response body`);
      assert.equal(t.response.body.length, Math.min(s.body.length, LIMIT));
      assert.equal(isTruncated(t.response), s.body.length > LIMIT, `${k.name}: response truncation entry`);
    }
    // The check: a 40 KB request body arrives as {length: 32768, data} with the marker entry.
    const big = txns.get('post-40k');
    assert.equal(big.request.body.length, 32768);
    assert.ok(decodeBody(big.request).equals(forty.subarray(0, 32768)));
    assert.ok(big.request.headers.includes(TRUNCATED_ENTRY));
    assert.equal(TRUNCATED_ENTRY, 'cq-body-truncated:dHJ1ZQ==');
    assert.ok(decodeBody(txns.get('post-binary').request).equals(binary));
    assert.deepEqual(txns.get('post-empty').request.body, { length: 0, data: '' });
    // 33000 bytes of "€" cut at 32768 splits a character: still exact bytes.
    const cut = txns.get('raw-echo-utf8-cut');
    assert.equal(decodeBody(cut.request).length, LIMIT);
  });

  test('responses outside the status range are not captured; 204/304/404/499 are', () => {
    assert.equal(txns.has('status-500'), false);
    for (const n of ['status-204', 'status-304', 'status-404', 'status-499']) assert.ok(txns.has(n), n);
    assert.equal(txns.get('status-204').response['status-code'], '204');
    assert.equal(txns.get('status-304').response['status-code'], '304');
    assert.ok(!env.messages().some((m) => m.includes('/boom?status=500 - ')), 'no Built line for the 500');
  });

  test('ids are unique and the metadata names the product, the API instance and the gateway', () => {
    const ids = [...txns.values()].map((t) => t['transaction-id']);
    assert.equal(new Set(ids).size, ids.length);
    for (const t of txns.values()) {
      const si = t['txn-meta-data'].source_info;
      assert.equal(si.type, 'mulesoft-flex-gateway');
      assert.match(si.version, /^\d+\.\d+\.\d+$/);
      assert.equal(si.pool_id, 'cequence-policy-binding');
      assert.equal(si.instance_id, INSTANCE_ID[host]);
      assert.deepEqual(Object.keys(t['txn-meta-data']), ['source_info']);
      // Epoch seconds with milliseconds, from the request's start: within this run.
      const ms = Math.round(Number(t.timestamp) * 1000);
      assert.ok(ms >= started - 1 && ms <= Date.now(), `timestamp ${t.timestamp} within the run`);
    }
  });

  test('debug lines are exactly the guide\'s', () => {
    const msgs = env.messages();
    for (const k of CASES) {
      const captured = msgs.filter((m) => m.startsWith(`[cequence] Captured ${k.method} ${k.path} (`));
      assert.equal(captured.length, 1, `${k.name}: one Captured line`);
      const built = msgs.filter((m) => m.startsWith('[cequence] Built transaction ') && m.endsWith(` (${k.method} ${k.path} - ${sent.get(k.name)!.status})`));
      if (!k.captured) {
        assert.equal(built.length, 0, `${k.name}: no Built line`);
        continue;
      }
      // The header count is the number of regular request headers the policy saw (the transaction's list).
      const t = txns.get(k.name);
      const n = regularHeaders(t.request).length;
      assert.equal(captured[0], `[cequence] Captured ${k.method} ${k.path} (${n} headers)`);
      assert.deepEqual(built, [`[cequence] Built transaction ${t['transaction-id']} (${k.method} ${k.path} - ${t.response['status-code']})`]);
    }
  });

  test('a stream without a response (client abort) is not captured', async () => {
    const http = await import('node:http');
    const u = new URL(env.url);
    const before = env.mock.transactions.length;
    await new Promise<void>((resolve) => {
      const req = http.request({ host: u.hostname, port: u.port, method: 'GET', path: '/slow?delay=5000', headers: { 'x-case': 'abort' }, agent: false });
      req.on('error', () => resolve());
      req.end();
      void env.upstream.waitForRequests(env.upstream.exchanges.length + 1).then(() => {
        req.destroy();
        resolve();
      });
    });
    // A later call on a new connection: once its transaction arrives, the abort's on_log has long run.
    await env.send(c('after-abort', 'GET', '/after'));
    const all = (await env.mock.waitForTransactions(before + 1, 10000)) as any[];
    const later = all.slice(before).map(caseOf);
    assert.ok(later.includes('after-abort'));
    assert.ok(!later.includes('abort'));
    const msgs = env.messages();
    assert.ok(msgs.some((m) => m.startsWith('[cequence] Captured GET /slow?delay=5000 (')), 'the request was seen');
    assert.ok(!msgs.some((m) => m.includes('(GET /slow?delay=5000 - ')));
  });

  test('with enableDebugLogs false and a narrower range: no per-request lines, 404 not captured', async () => {
    const quiet = await startSubject({ host, config: { enableDebugLogs: false, cequenceMinStatusCode: 200, cequenceMaxStatusCode: 299 } });
    try {
      await quiet.send(c('quiet-200', 'GET', '/ok'));
      await quiet.send(c('quiet-404', 'GET', '/nf?status=404'));
      await quiet.send(c('quiet-201', 'POST', '/made?status=201', [], Buffer.from('{}')));
      const all = (await quiet.mock.waitForTransactions(2, 10000)) as any[];
      const names = all.map(caseOf);
      assert.deepEqual(names.sort(), ['quiet-200', 'quiet-201']);
      const msgs = quiet.messages();
      assert.ok(msgs.some((m) => m === '[cequence] Policy configured (debug_logs=false)'));
      assert.ok(!msgs.some((m) => m.startsWith('[cequence] Captured ') || m.startsWith('[cequence] Built transaction ')));
    } finally {
      await quiet.close();
    }
  });
});
