// The serialiser (assembly/capture/transaction.ts), compiled on its own, driven with random header
// maps, bodies and chunkings: every transaction must be in Cequence's format (schema/transaction.schema.json
// and the byte checks of emulator/wire-format.ts) and carry headers and bodies exactly (up to the limit). The same property through the whole policy module and
// the emulator lives in capture-property.test.ts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadHarness, type Harness, type Pair } from './harness/load.ts';
import { assertTransaction, assertBatch, transactionProblem, decodeBody, decodeHeaders, TRUNCATED_ENTRY } from '../../emulator/wire-format.ts';
import { splitAt } from './chunks.ts';

let h: Harness;
before(async () => {
  h = await loadHarness();
});

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
const headerName = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }).map((s) => Buffer.from(s));
// Lengths drawn uniformly up to `max` (fast-check's default sizes stay small).
const anyBytes = (max: number) => fc.integer({ min: 0, max }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })).map((u) => Buffer.from(u));
const textBytes = (max: number) => fc.integer({ min: 0, max }).chain((n) => fc.string({ unit: 'binary', minLength: n, maxLength: n })).map((s) => Buffer.from(s, 'utf8'));
const headerValue = fc.oneof(textBytes(24), anyBytes(24));
const headers = fc.array(fc.record({ name: headerName, value: headerValue }), { maxLength: 8 });
const body = fc.oneof(textBytes(300), anyBytes(300), fc.constant(Buffer.alloc(0)));
const cuts = fc.array(fc.nat(), { maxLength: 6 });


function pseudo(name: string, value: string): Pair {
  return { name: Buffer.from(name), value: Buffer.from(value) };
}

interface Case {
  limit: number;
  req: Pair[];
  resp: Pair[];
  reqBody: Buffer;
  respBody: Buffer;
  reqCuts: number[];
  respCuts: number[];
  status: number;
  method: string;
  path: string;
}

function run(c: Case): any {
  h.reset(c.limit);
  h.requestHeaders([pseudo(':method', c.method), pseudo(':path', c.path), pseudo(':authority', 'api.example.com'), pseudo(':scheme', 'http'), ...c.req]);
  h.responseHeaders([pseudo(':status', String(c.status)), ...c.resp]);
  h.sourceAddress(Buffer.from('198.51.100.4:40000'));
  h.destinationAddress(Buffer.from('10.1.2.3:8081'));
  h.protocol(Buffer.from('HTTP/1.1'));
  h.sourceInfo('api-instance', 'gateway-1');
  let fetched = 0;
  for (const ch of splitAt(c.reqBody, c.reqCuts)) fetched += h.requestChunk(Buffer.from(ch));
  assert.equal(fetched, Math.min(c.reqBody.length, c.limit), 'request bytes fetched from the host');
  fetched = 0;
  for (const ch of splitAt(c.respBody, c.respCuts)) fetched += h.responseChunk(Buffer.from(ch));
  assert.equal(fetched, Math.min(c.respBody.length, c.limit), 'response bytes fetched from the host');
  h.times(c.status, 1732230000123456789n);
  const out = h.serialize('0123456789abcdef0123456789abcdef');
  assert.ok(isUtf8(out), 'output is UTF-8');
  return JSON.parse(out.toString('utf8'));
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

function checkSide(side: any, sent: Pair[], sentBody: Buffer, limit: number): void {
  const truncated = sentBody.length > limit;
  const list = decodeHeaders(side);
  assert.equal(list.length, sent.length + (truncated ? 1 : 0));
  sent.forEach((p, i) => {
    assert.equal(list[i].name, p.name.toString());
    assert.deepEqual(list[i].value, p.value, `header ${i} value`);
  });
  if (truncated) assert.equal(side.headers.at(-1), TRUNCATED_ENTRY);
  const kept = sentBody.subarray(0, Math.min(sentBody.length, limit));
  assert.deepEqual(decodeBody(side), kept);
  assert.equal(side.body.length, kept.length);
}

test('every random transaction matches the schema and is exact', () => {
  fc.assert(
    fc.property(
      fc.record({
        limit: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 400 })),
        req: headers,
        resp: headers,
        reqBody: body,
        respBody: body,
        reqCuts: cuts,
        respCuts: cuts,
        status: fc.integer({ min: 100, max: 599 }),
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        path: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => '/' + s),
      }),
      (c) => {
        const t = run(c);
        assertTransaction(t);
        assert.equal(t.request['http-method'], c.method);
        assert.equal(Buffer.from(t.request['uri-query-fragment'], 'utf8').toString(), Buffer.from(c.path).toString());
        assert.equal(t.response['status-code'], String(c.status));
        checkSide(t.request, c.req, c.reqBody, c.limit);
        checkSide(t.response, c.resp, c.respBody, c.limit);
      },
    ),
    { numRuns: 300, seed: 0x5eed },
  );
});

test('the 40 KB body is cut at 32768 and flagged; exactly 32768 is not', () => {
  const base = { req: [], resp: [], reqCuts: [1000, 20000, 32768, 32769], respCuts: [], status: 200, method: 'POST', path: '/upload' };
  const big = Buffer.alloc(40 * 1024, 'x');
  const t = run({ ...base, limit: 32768, reqBody: big, respBody: Buffer.from('{}') });
  assertTransaction(t);
  assert.equal(t.request.body.length, 32768);
  assert.deepEqual(decodeBody(t.request), big.subarray(0, 32768));
  assert.deepEqual(t.request.headers, ['cq-body-truncated:dHJ1ZQ==']);
  const exact = run({ ...base, limit: 32768, reqBody: Buffer.alloc(32768, 'y'), respBody: Buffer.alloc(0) });
  assert.deepEqual(exact.request.headers, []);
  assert.equal(exact.request.body.length, 32768);
});

test('a batch of serialised transactions matches the batch schema', () => {
  const items = [0, 1, 2].map((i) =>
    run({ limit: 10, req: [], resp: [], reqBody: Buffer.from('a'.repeat(i * 8)), respBody: Buffer.from([0xff, i]), reqCuts: [], respCuts: [], status: 200 + i, method: 'GET', path: '/' + i }),
  );
  assertBatch({ data: items });
  assert.throws(() => assertBatch(items), /not a bare array/);
});

test('the schema rejects what the format forbids (it can fail)', () => {
  const good = run({ limit: 10, req: [{ name: Buffer.from('a'), value: Buffer.from([0xff]) }], resp: [], reqBody: Buffer.from([0xfe]), respBody: Buffer.from('ok'), reqCuts: [], respCuts: [], status: 200, method: 'GET', path: '/' });
  assertTransaction(good);
  const bad = (mutate: (t: any) => void) => {
    const t = structuredClone(good);
    mutate(t);
    return transactionProblem(t) === undefined;
  };
  assert.equal(bad((t) => delete t['transaction-id']), false);
  assert.equal(bad((t) => (t.timestamp = 1732230000)), false);
  assert.equal(bad((t) => (t.timestamp = '1732230000')), false);
  assert.equal(bad((t) => (t.version = '2.0')), false);
  assert.equal(bad((t) => (t.request.body = 'not base64!')), false);
  assert.equal(bad((t) => (t.request.body.data = 'QR==')), false);
  assert.equal(bad((t) => (t.request.body.length += 1)), false);
  assert.equal(bad((t) => (t.request.headers[0] = 'a:%%%')), false);
  assert.equal(bad((t) => (t.request.headers[0] = { name: 'a', value: '/w==' })), false);
  assert.equal(bad((t) => t.request.headers.push(':path:Lw==')), false);
  assert.equal(bad((t) => (t.response['status-code'] = 200)), false);
  assert.equal(bad((t) => (t.response['status-code'] = '600')), false);
  assert.equal(bad((t) => (t.request['http-version'] = 'HTTP/1.1')), false);
  assert.equal(bad((t) => (t.request.connection['connection-port'] = 70000)), false);
  assert.equal(bad((t) => (t['txn-meta-data'].source_info.type = 'other')), false);
  assert.equal(bad((t) => (t.request.extra = 1)), false);
  assert.equal(bad((t) => (t.response['body-encoding'] = 'base64')), false);
});

test('the README\'s worked example is what the module writes, and valid', async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Wire format'));
  const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(section)![1]);
  assertTransaction(example);
  const P = (n: string, v: string) => pseudo(n, v);
  h.reset(32768);
  h.requestHeaders([P(':authority', 'api.example.com'), P(':path', '/v1/orders?id=7'), P(':method', 'POST'), P(':scheme', 'https'),
    P('content-type', 'application/json'), P('accept', '*/*'), P('x-tag', 'a'), P('x-tag', 'b')]);
  h.responseHeaders([P(':status', '201'), P('content-type', 'application/json')]);
  h.sourceAddress(Buffer.from('203.0.113.7:51234'));
  h.destinationAddress(Buffer.from('10.0.0.5:8081'));
  h.protocol(Buffer.from('HTTP/1.1'));
  h.sourceInfo('cequence-policy-binding', 'flex-gateway-1');
  h.requestChunk(Buffer.from('{"sku":"A-1","qty":2}'));
  h.responseChunk(Buffer.from('{"id":7}'));
  h.times(201, 1733045000123456789n);
  assert.deepEqual(JSON.parse(h.serialize('4f1c2a9e0b7d4e3f8a6c5b2d1e0f9a8b').toString('utf8')), example);
});
