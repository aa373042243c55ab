// Faults only a real Envoy shows: a client that goes away mid-body, an upstream that resets before or
// after its response headers, and a module that traps (Envoy fails closed) against the real policy,
// which under the same traffic never makes Envoy log a wasm failure.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, test } from 'node:test';
import type { Subject } from '../../harness/index.ts';
import { buildTrapModule } from './modules/trap-module.ts';
import { cequenceLines, envoySubject, transactionsFor, waitUntil, wasmFailures } from './lib.ts';

/** The same traffic for the trapping module and for the policy: HTTP/1.1 with and without bodies,
 *  chunked, a body over the capture limit, a 404, and an h2c request. Returns each status seen. */
async function mixedTraffic(s: Subject, tag: string): Promise<number[]> {
  const statuses: number[] = [];
  statuses.push((await s.send({ method: 'GET', path: `/${tag}/get?q=1` })).status);
  statuses.push((await s.send({ method: 'POST', path: `/${tag}/post`, headers: [['content-type', 'application/json']], body: '{"a":1}' })).status);
  statuses.push((await s.send({ method: 'PUT', path: `/${tag}/chunked`, body: [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')] })).status);
  statuses.push((await s.send({ method: 'POST', path: `/${tag}/large`, body: Buffer.alloc(40000, 0x61) })).status);
  statuses.push((await s.send({ method: 'GET', path: `/${tag}/missing?status=404` })).status);
  const session = http2.connect(`http://127.0.0.1:${s.port}`);
  try {
    statuses.push(await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':method': 'GET', ':path': `/${tag}/h2` });
      let status = 0;
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', () => undefined);
      req.on('end', () => resolve(status));
      req.on('error', reject);
    }));
  } finally {
    session.close();
  }
  return statuses;
}
const MIXED = 6;

/** Headers and part of a declared body on a raw HTTP/1.1 connection, then the socket destroyed. */
async function abortMidBody(s: Subject, pathAndQuery: string): Promise<void> {
  const sock = net.connect(s.port, '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  const mark = s.mark();
  sock.write(`POST ${pathAndQuery} HTTP/1.1\r\nhost: 127.0.0.1:${s.port}\r\ncontent-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n`);
  sock.write(Buffer.alloc(3000, 0x62));
  // The request reached the policy (its debug line) before the client goes away.
  await s.waitForMessage(new RegExp(`^\\[cequence\\] Captured POST ${pathAndQuery.replace(/[?]/g, '\\?')} `), 10000, mark);
  sock.destroy();
}

describe('envoy: a client that aborts mid-body', () => {
  const subjectOf = envoySubject({});

  test('HTTP/1.1 socket destroyed and h2 stream reset mid-body: not captured, the gateway keeps serving, no trap', async () => {
    const s = await subjectOf();
    const from = s.mark();
    await abortMidBody(s, '/abort/h1');
    // h2: a stream reset by the client (RST_STREAM CANCEL) with its body half sent.
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    try {
      const mark = s.mark();
      const req = session.request({ ':method': 'POST', ':path': '/abort/h2', 'content-length': '100000' });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(3000, 0x63));
      await s.waitForMessage(/^\[cequence\] Captured POST \/abort\/h2 /, 10000, mark);
      req.close(http2.constants.NGHTTP2_CANCEL);
    } finally {
      session.close();
    }
    // Later requests are served and delivered: everything the aborted streams could have produced
    // would have been queued before them.
    for (let i = 0; i < 3; i++) assert.equal((await s.send({ method: 'GET', path: `/after-abort/${i}` })).status, 200);
    await s.mock.waitForTransactions(3, 15000);
    await waitUntil('the after-abort transactions', () => [0, 1, 2].every((i) => transactionsFor(s, `/after-abort/${i}`).length === 1));
    assert.deepEqual(transactionsFor(s, '/abort/h1'), []);
    assert.deepEqual(transactionsFor(s, '/abort/h2'), []);
    const built = cequenceLines(s, from).filter((l) => l.startsWith('[cequence] Built transaction'));
    assert.ok(!built.some((l) => l.includes('/abort/')), built.join('\n'));
    assert.equal(s.mock.transactions.length, 3);
    assert.deepEqual(wasmFailures(s), []);
  });
});

describe('envoy: an upstream that resets', () => {
  // Statuses up to 599 are captured here, so that "not captured" below is about completeness, not range.
  const subjectOf = envoySubject({ config: { cequenceMaxStatusCode: 599 } });

  test('before its response headers: the client gets Envoy\'s 503, which is what is captured; later requests fine', async () => {
    const s = await subjectOf();
    const r = await s.send({ method: 'GET', path: '/reset/before?reset=before' });
    assert.equal(r.status, 503);
    assert.match(r.body.toString(), /^upstream connect error or disconnect\/reset before headers\. .*reset reason: connection termination/);
    assert.equal((await s.send({ method: 'GET', path: '/reset/next' })).status, 200);
    await waitUntil('the 503 and the next request at the mock Edge', () =>
      transactionsFor(s, '/reset/before?reset=before').length === 1 && transactionsFor(s, '/reset/next').length === 1);
    // The upstream's response never existed; the one captured is the complete reply Envoy made and
    // the client saw (it passed back through the wasm filter, which stands before the router).
    const [t] = transactionsFor(s, '/reset/before?reset=before');
    assert.equal(t.response['status-code'], '503');
    assert.equal(Buffer.from(t.response.body.data, 'base64').toString(), r.body.toString());
    assert.deepEqual(wasmFailures(s), []);
  });

  test('after its response headers (half the body sent): the client sees the reset; nothing captured; later requests fine', async () => {
    const s = await subjectOf();
    const from = s.mark();
    const outcome = await new Promise<{ status: number; bytes: number; error?: string }>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: s.port, path: '/reset/after?reset=after&size=20000', agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode!, bytes }));
        res.on('aborted', () => resolve({ status: res.statusCode!, bytes, error: 'aborted' }));
        res.on('error', (e) => resolve({ status: res.statusCode!, bytes, error: e.message }));
      });
      req.on('error', (e) => resolve({ status: 0, bytes: 0, error: e.message }));
      req.end();
    });
    assert.equal(outcome.status, 200, 'the headers had reached the client');
    assert.ok(outcome.error, `the client saw the response cut short (got ${outcome.bytes} of 20000 bytes)`);
    assert.ok(outcome.bytes < 20000);
    for (let i = 0; i < 3; i++) assert.equal((await s.send({ method: 'GET', path: `/reset/later/${i}` })).status, 200);
    await waitUntil('the later requests at the mock Edge', () => [0, 1, 2].every((i) => transactionsFor(s, `/reset/later/${i}`).length === 1));
    assert.deepEqual(transactionsFor(s, '/reset/after?reset=after&size=20000'), []);
    assert.ok(!cequenceLines(s, from).some((l) => l.startsWith('[cequence] Built transaction') && l.includes('/reset/after')));
    assert.deepEqual(wasmFailures(s), []);
  });
});

describe('envoy: a module that traps, and the policy under the same traffic', () => {
  /** tests/envoy/modules/trap.ts built with the release flags of the policy. */
  const trapModule = () => 'base64://' + buildTrapModule().toString('base64');
  let implementation: string | undefined;
  const trapping = envoySubject({ get implementation() {
    return (implementation ??= trapModule());
  } });
  const policy = envoySubject({});

  test('the trapping module: every request gets Envoy\'s 503 (fail closed), none reaches the upstream', async () => {
    const s = await trapping();
    const statuses = await mixedTraffic(s, 'trap');
    assert.deepEqual(statuses, Array(MIXED).fill(503));
    const r = await s.send({ method: 'GET', path: '/trap/again' });
    assert.equal(r.status, 503);
    assert.equal(r.body.length, 0, 'an empty 503');
    assert.equal(r.headers.find(([k]) => k === 'connection')?.[1], 'close', 'Envoy closes the HTTP/1.1 connection');
    assert.equal(s.upstream.exchanges.length, 0, 'no request reached the upstream');
    // One trap: the module ran once; after it the VM is failed and no later stream enters it.
    await waitUntil('Envoy\'s trap line', () => wasmFailures(s).length > 0);
    const failures = wasmFailures(s);
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0], /\]\[error\]\[wasm\] .*Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable$/);
    assert.equal(s.messages().filter((m) => m.startsWith('[trap]')).length, 1);
  });

  test('the policy: the same traffic passes and is captured, and Envoy never logs a wasm failure', async () => {
    const s = await policy();
    const statuses = await mixedTraffic(s, 'policy');
    assert.deepEqual(statuses, [200, 200, 200, 200, 404, 200]);
    await s.mock.waitForTransactions(MIXED, 15000);
    assert.equal(s.mock.transactions.length, MIXED);
    assert.deepEqual(wasmFailures(s), []);
    assert.ok(!s.logs().some((l) => /RuntimeError|VM failed|wasm_fail/i.test(l)));
  });
});
