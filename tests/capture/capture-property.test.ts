// Property test through the whole policy module (the built bundle's) in the emulator's proxy-wasm host:
// random header maps (arbitrary bytes in values, repeated names), random bodies in random chunkings,
// random statuses and client aborts, over 2 worker VMs, with the real client posting to the mock
// Cequence. For every stream: no trap, the filter let everything through unchanged (every callback
// returned Continue), and a transaction exists exactly when the response completed inside the status
// range; every captured transaction matches the schema and carries headers and bodies exactly (bodies
// up to the limit, with the truncation header when cut).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createHost, type ProxyWasmHost } from '../../emulator/host/index.ts';
import type { Pairs, StreamSink } from '../../emulator/host/index.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';
import { K8S_BUNDLE } from '../../harness/local-deploy.ts';
import { mockCequenceConfig } from '../../harness/subject.ts';
import { assertTransaction, assertBatch, decodeBody, decodeHeaders, headerValues, isTruncated, TRUNCATED_ENTRY } from '../../emulator/wire-format.ts';
import { splitAt } from './chunks.ts';

const LIMIT = 100;
const MIN_STATUS = 100;
const MAX_STATUS = 499;

let host: ProxyWasmHost;
let mock: MockCequence;
let seq = 0;

function builtLines(): string[] {
  return host.logs.filter((e) => e.source === 'wasm' && e.message.startsWith('[cequence] Built transaction ')).map((e) => e.message);
}

before(async () => {
  mock = await startMockCequence();
  host = await createHost(readFileSync(join(K8S_BUNDLE, 'cequence_policy.wasm')), {
    pluginName: 'property-binding',
    workers: 2,
    clusters: { 'cequence-auth-service.default.svc': mock.authUrl, 'cequence-edge-service.default.svc': mock.edgeUrl },
    config: {
      ...mockCequenceConfig(mock),
      enableDebugLogs: true,
      cequenceBodyLimitBytes: LIMIT,
      cequenceFlushIntervalMs: 100,
      cequenceMinStatusCode: MIN_STATUS,
      cequenceMaxStatusCode: MAX_STATUS,
    },
  });
});

after(async () => {
  host?.close();
  await mock?.close();
});

// Header maps as the host holds them: byte strings (latin1), any byte in values.
const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''));
const name = fc.oneof(fc.string({ unit: tokenChar, minLength: 1, maxLength: 10 }), fc.constantFrom('accept', 'cookie', 'x-multi', 'content-type'));
const byteString = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u).toString('latin1'));
const utf8String = (max: number) => fc.string({ unit: 'binary', maxLength: max }).map((s) => Buffer.from(s, 'utf8').toString('latin1'));
const value = fc.oneof(utf8String(20), byteString(20));
const headerList = fc.array(fc.tuple(name, value), { maxLength: 8 });
// Body lengths drawn uniformly up to 2.6x the limit (fast-check's default sizes stay small).
const body = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.integer({ min: 0, max: 260 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })).map((u) => Buffer.from(u)),
  fc.integer({ min: 0, max: 120 }).chain((n) => fc.string({ unit: 'binary', minLength: n, maxLength: n })).map((s) => Buffer.from(s, 'utf8')),
);
const cuts = fc.array(fc.nat(), { maxLength: 5 });
const status = fc.oneof(fc.constantFrom(200, 201, 204, 304, 404, 499, 500, 503), fc.integer({ min: 100, max: 599 }));


const streamCase = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).map((s) => '/' + s.replace(/[\s]/g, '_')),
  reqHeaders: headerList,
  respHeaders: headerList,
  reqBody: body,
  respBody: body,
  reqCuts: cuts,
  respCuts: cuts,
  status,
  abort: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

type StreamCase = typeof streamCase extends fc.Arbitrary<infer T> ? T : never;

function caseId(t: any): string {
  return headerValues(t.request, 'x-case')[0] ?? '';
}

function sideExact(side: any, headers: [string, string][], sentBody: Buffer, what: string): void {
  const list = decodeHeaders(side);
  const truncated = sentBody.length > LIMIT;
  assert.equal(list.length, headers.length + (truncated ? 1 : 0), `${what}: header count`);
  headers.forEach(([k, v], i) => {
    assert.equal(list[i].name, k, `${what}: header ${i} name`);
    assert.deepEqual(list[i].value, Buffer.from(v, 'latin1'), `${what}: header ${i} value`);
  });
  if (truncated) assert.equal(side.headers.at(-1), TRUNCATED_ENTRY);
  const kept = sentBody.subarray(0, LIMIT);
  assert.deepEqual(decodeBody(side), kept, `${what}: body`);
  assert.equal(side.body.length, kept.length);
}

interface Outcome {
  upHeaders?: Pairs;
  upBody: Buffer[];
  upEnded: boolean;
  downHeaders?: Pairs;
  downBody: Buffer[];
  downEnded: boolean;
  localReply?: number;
  reset?: string;
}

/**
 * One stream through a worker VM, as the gateway drives it (HostStream, the lower-level API: header
 * maps go in as byte strings unchanged, so values can hold any byte): request headers, body chunks,
 * then, unless the client aborted, the response; then the end of the stream (on_log, on_done, on_delete).
 */
function drive(req: Pairs, reqChunks: Buffer[], resp: Pairs, respChunks: Buffer[], abort: boolean, source: { ip: string; port: number }): Outcome {
  const o: Outcome = { upBody: [], upEnded: false, downBody: [], downEnded: false };
  const sink: StreamSink = {
    requestHeaders: (h, eos) => { o.upHeaders = h.map((p) => [...p] as [string, string]); if (eos) o.upEnded = true; },
    requestData: (c, eos) => { o.upBody.push(Buffer.from(c)); if (eos) o.upEnded = true; },
    requestTrailers: () => { o.upEnded = true; },
    responseHeaders: (h, eos) => { o.downHeaders = h.map((p) => [...p] as [string, string]); if (eos) o.downEnded = true; },
    responseData: (c, eos) => { o.downBody.push(Buffer.from(c)); if (eos) o.downEnded = true; },
    responseTrailers: () => { o.downEnded = true; },
    localReply: (status) => { o.localReply = status; },
    reset: (reason) => { o.reset = reason; },
  };
  const st = host.openStream(sink, { connection: { sourceAddress: source.ip, sourcePort: source.port, destinationAddress: '10.0.0.2', destinationPort: 8081 } });
  st.requestHeaders(req, reqChunks.length === 0);
  reqChunks.forEach((c, i) => st.requestData(c, i === reqChunks.length - 1));
  if (!abort) {
    st.responseHeaders(resp, respChunks.length === 0);
    respChunks.forEach((c, i) => st.responseData(c, i === respChunks.length - 1));
  }
  st.complete();
  return o;
}

test('random streams through the module: untouched traffic, exact transactions, nothing extra', { timeout: 120000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(streamCase, { minLength: 1, maxLength: 6 }), async (cases: StreamCase[]) => {
      const logStart = builtLines().length;
      const expected = new Map<string, StreamCase>();
      const notCaptured: string[] = [];
      for (const c of cases) {
        const id = `case-${++seq}`;
        const reqHeaders: [string, string][] = [['x-case', id], ...c.reqHeaders];
        const respHeaders: [string, string][] = [...c.respHeaders];
        const reqPairs: Pairs = [[':authority', 'api.test'], [':path', c.path], [':method', c.method], [':scheme', 'https'], ...reqHeaders];
        const r = drive(reqPairs, splitAt(c.reqBody, c.reqCuts), [[':status', String(c.status)], ...respHeaders], splitAt(c.respBody, c.respCuts), c.abort, { ip: '203.0.113.9', port: 40000 + (seq % 20000) });
        // The filter never paused, answered or reset: everything went through as it came.
        assert.equal(r.localReply, undefined);
        assert.equal(r.reset, undefined);
        assert.ok(r.upEnded, 'request reached its end upstream');
        assert.deepEqual(Buffer.concat(r.upBody), c.reqBody);
        assert.deepEqual(r.upHeaders, reqPairs);
        if (!c.abort) {
          assert.ok(r.downEnded, 'response reached its end downstream');
          assert.deepEqual(Buffer.concat(r.downBody), c.respBody);
          assert.deepEqual(r.downHeaders, [[':status', String(c.status)], ...respHeaders]);
        }
        const inRange = c.status >= MIN_STATUS && c.status <= MAX_STATUS;
        if (!c.abort && inRange) expected.set(id, { ...c, reqHeaders, respHeaders });
        else notCaptured.push(id);
      }
      for (const vm of host.vms) assert.equal(vm.failed, false, 'no VM trapped');

      // on_log built a transaction for exactly the streams that completed inside the status range (the
      // Built line is logged synchronously in on_log, so this holds without waiting for delivery).
      assert.deepEqual(
        builtLines().slice(logStart).map((m) => m.replace(/^\[cequence\] Built transaction [0-9a-f]{32} /, '')),
        [...expected.values()].map((c) => `(${c.method} ${c.path} - ${c.status})`),
      );


      const got = new Map<string, any>();
      const deadline = Date.now() + 10000;
      while ([...expected.keys()].some((id) => !got.has(id))) {
        for (const t of mock.transactions as any[]) got.set(caseId(t), t);
        if (Date.now() > deadline) assert.fail(`missing transactions: ${[...expected.keys()].filter((id) => !got.has(id)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const [id, c] of expected) {
        const t = got.get(id);
        assertTransaction(t);
        assert.equal(t.request['http-method'], c.method);
        assert.equal(t.request['uri-query-fragment'], c.path);
        assert.equal(t.response['status-code'], String(c.status));
        assert.deepEqual(t.request.connection['connection-ip'], '203.0.113.9');
        sideExact(t.request, c.reqHeaders, c.reqBody, `${id} request`);
        sideExact(t.response, c.respHeaders, c.respBody, `${id} response`);
      }
      assert.equal(builtLines().length, mock.transactions.length, 'every built transaction was delivered, and nothing else');
      for (const id of notCaptured) assert.ok(!got.has(id), `${id} must not be captured`);
    }),
    { numRuns: 40, seed: 4242 },
  );

  // The runs really exercised the limit on both sides, and bodies and header values that are not UTF-8.
  const utf8 = (b: Buffer) => Buffer.from(b.toString('utf8'), 'utf8').equals(b);
  const all = mock.transactions as any[];
  for (const side of ['request', 'response']) {
    assert.ok(all.some((t) => isTruncated(t[side])), `some ${side} bodies were cut`);
    assert.ok(all.some((t) => t[side].body.length > 0 && !utf8(decodeBody(t[side]))), `some ${side} bodies were not UTF-8`);
    assert.ok(all.some((t) => t[side].body.length > 0 && utf8(decodeBody(t[side]))), `some ${side} bodies were text`);
  }
  assert.ok(all.some((t) => decodeHeaders(t.request).some((h) => !utf8(h.value))), 'some header values were not UTF-8');
  for (const b of mock.batches) assertBatch(b.json);
  const ids = (mock.transactions as any[]).map((t) => t['transaction-id']);
  assert.equal(new Set(ids).size, ids.length, 'transaction ids are unique');
});

