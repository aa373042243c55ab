import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { startUpstream, patternBytes, type Upstream } from '../../emulator/upstream.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A raw node:http request, so chunk boundaries, multi-valued headers and status 304 are visible. */
function rawRequest(url: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {}):
  Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer; chunks: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(parts), chunks: parts.length }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('upstream helper', () => {
  let up: Upstream;
  before(async () => {
    up = await startUpstream({ recordLimit: 64 * 1024 });
  });
  after(() => up.close());
  beforeEach(() => up.reset());

  test('echoes method, path, query, headers and a UTF-8 body exactly, and records them', async () => {
    const body = JSON.stringify({ hello: 'wörld', n: [1, 2, 3] });
    const r = await fetch(`${up.url}/orders/42?x=1&x=2&q=a%20b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'v1' },
      body,
    });
    assert.equal(r.status, 200);
    const text = await r.text();
    const j = JSON.parse(text);
    assert.equal(j.method, 'POST');
    assert.equal(j.path, '/orders/42');
    assert.deepEqual(j.query, { x: ['1', '2'], q: 'a b' });
    assert.equal(j.headers['x-custom'], 'v1');
    assert.equal(j.headers['content-type'], 'application/json');
    assert.equal(j.bodyEncoding, 'utf8');
    assert.equal(j.body, body);
    assert.equal(j.bodyLength, Buffer.byteLength(body));
    assert.equal(up.exchanges.length, 1);
    const ex = up.exchanges[0];
    assert.equal(ex.url, '/orders/42?x=1&x=2&q=a%20b');
    assert.equal(ex.request.bytes.toString('utf8'), body);
    assert.equal(ex.request.sha256, sha(Buffer.from(body)));
    assert.equal(ex.headers['x-custom'], 'v1');
    assert.ok(ex.rawHeaders.includes('x-custom'));
    assert.equal(ex.response?.status, 200);
    assert.equal(ex.response?.body.bytes.toString('utf8'), text);
    assert.equal(ex.response?.headers['content-length'], String(Buffer.byteLength(text)));
    assert.equal(ex.completed, true);
  });

  test('echoes a binary request body as base64 and raw=1 returns the bytes unchanged', async () => {
    const bin = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0xc3, 0x28]);
    const r = await fetch(`${up.url}/bin`, { method: 'PUT', body: bin, headers: { 'content-type': 'application/octet-stream' } });
    const j = (await r.json()) as { bodyEncoding: string; body: string };
    assert.equal(j.bodyEncoding, 'base64');
    assert.deepEqual(Buffer.from(j.body, 'base64'), bin);
    const r2 = await fetch(`${up.url}/bin?raw=1`, { method: 'PUT', body: bin, headers: { 'content-type': 'image/x-test' } });
    assert.equal(r2.headers.get('content-type'), 'image/x-test');
    assert.deepEqual(Buffer.from(await r2.arrayBuffer()), bin);
    assert.deepEqual(up.exchanges[1].request.bytes, bin);
    assert.deepEqual(up.exchanges[1].response?.body.bytes, bin);
  });

  test('size=N answers N deterministic bytes; binary=1 answers every byte value', async () => {
    const r = await fetch(`${up.url}/big?size=40000`);
    const b = Buffer.from(await r.arrayBuffer());
    assert.equal(b.length, 40000);
    assert.equal(r.headers.get('content-length'), '40000');
    assert.deepEqual(b, patternBytes('text', 0, 40000));
    assert.equal(b.subarray(0, 5).toString(), 'abcde');
    const r2 = await fetch(`${up.url}/blob?binary=1&size=600`);
    const b2 = Buffer.from(await r2.arrayBuffer());
    assert.equal(r2.headers.get('content-type'), 'application/octet-stream');
    assert.equal(b2.length, 600);
    assert.equal(b2[255], 255);
    assert.equal(b2[256], 0);
    assert.equal(up.exchanges[1].response?.body.sha256, sha(b2));
  });

  test('a body larger than recordLimit is hashed whole and recorded truncated, both ways', async () => {
    const big = Buffer.alloc(200_000, 7);
    const r = await fetch(`${up.url}/upload?size=150000`, { method: 'POST', body: big });
    const got = Buffer.from(await r.arrayBuffer());
    const ex = up.exchanges[0];
    assert.equal(ex.request.length, 200_000);
    assert.equal(ex.request.bytes.length, 64 * 1024);
    assert.equal(ex.request.truncated, true);
    assert.equal(ex.request.sha256, sha(big));
    assert.equal(ex.response?.body.length, 150_000);
    assert.equal(ex.response?.body.truncated, true);
    assert.equal(ex.response?.body.sha256, sha(got));
  });

  test('chunked=1 uses Transfer-Encoding: chunked in several chunks', async () => {
    const r = await rawRequest(`${up.url}/c?chunked=1&size=100000`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.body.length, 100000);
    assert.ok(r.chunks > 1, `chunks=${r.chunks}`);
    assert.deepEqual(r.body, patternBytes('text', 0, 100000));
  });

  test('status=N, and 204/304 carry no body', async () => {
    for (const s of [201, 404, 500, 503]) {
      const r = await fetch(`${up.url}/s?status=${s}`);
      assert.equal(r.status, s);
      const j = (await r.json()) as { path: string };
      assert.equal(j.path, '/s');
    }
    for (const s of [204, 304]) {
      const r = await rawRequest(`${up.url}/s?status=${s}`);
      assert.equal(r.status, s);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers['content-type'], undefined);
    }
    const last = up.exchanges[up.exchanges.length - 1];
    assert.equal(last.response?.status, 304);
    assert.equal(last.response?.body.length, 0);
  });

  test('header= adds response headers, repeated names become multi-valued; type= sets content-type', async () => {
    const r = await rawRequest(`${up.url}/h?header=x-one:1&header=set-cookie:a%3D1&header=set-cookie:b%3D2&type=text/x-demo`);
    assert.equal(r.headers['x-one'], '1');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers['content-type'], 'text/x-demo');
  });

  test('delay=MS answers after the delay; waitForRequests sees the request first', async () => {
    const p = fetch(`${up.url}/slow?delay=200`);
    const seen = await up.waitForRequests(1, 2000);
    assert.equal(seen[0].path, '/slow');
    assert.equal(seen[0].completed, false);
    const r = await p;
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.equal(up.exchanges[0].completed, true);
  });

  test('keeps multi-valued request headers', async () => {
    const r = await rawRequest(`${up.url}/m`, { headers: { 'x-multi': ['a', 'b'], cookie: 'k=v' } });
    const j = JSON.parse(r.body.toString());
    assert.equal(j.headers['x-multi'], 'a, b');
    const raw: string[] = up.exchanges[0].rawHeaders;
    assert.deepEqual(raw.filter((_, i) => i % 2 === 0 && raw[i].toLowerCase() === 'x-multi').length, 2);
  });
});

test('upstream close() frees the port', async () => {
  const up = await startUpstream();
  const r = await fetch(`${up.url}/x`);
  await r.arrayBuffer();
  await up.close();
  await assert.rejects(fetch(`${up.url}/x`));
});
