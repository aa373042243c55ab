// What only a real Envoy can show about protocols: HTTP/2 prior-knowledge (h2c) and HTTP/1.1 clients on
// the same listener (codec_type AUTO), a gRPC-style exchange over h2c end to end (binary
// length-prefixed bodies, response trailers), and keep-alive reuse of one client connection.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { decodeBody, headerValues } from '../../emulator/wire-format.ts';
import { upstreamClusterName } from '../../envoy-gateway/translate.ts';
import { editConfFile, startSubject, type Subject } from '../../harness/index.ts';
import { cequenceLines, envoySubject, transactionsFor, waitUntil, wasmFailures } from './lib.ts';

interface H2Reply {
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers?: http2.IncomingHttpHeaders;
}

/** One request on an HTTP/2 prior-knowledge (h2c) session. */
function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: !body });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ headers: head, body: Buffer.concat(chunks), trailers }));
    req.on('error', reject);
    if (body) req.end(body);
  });
}

function h2Connect(url: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(url);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** A gRPC message frame: compressed flag 0, 4-byte big-endian length, the message. */
function grpcFrame(message: Buffer): Buffer {
  const f = Buffer.alloc(5 + message.length);
  f.writeUInt32BE(message.length, 1);
  message.copy(f, 5);
  return f;
}

describe('envoy: HTTP/2 (h2c) and HTTP/1.1 clients, keep-alive', () => {
  const subjectOf = envoySubject({});

  test('an h2c prior-knowledge client and an HTTP/1.1 client are both captured, http-version 2 and 1.1', async () => {
    const s = await subjectOf();
    const session = await h2Connect(`http://127.0.0.1:${s.port}`);
    try {
      const body = Buffer.from('{"over":"h2c"}');
      const r = await h2Request(session, {
        ':method': 'POST', ':path': '/proto/h2?v=2', ':authority': `api.example.test:${s.port}`,
        'content-type': 'application/json', 'x-client': 'h2',
      }, body);
      assert.equal(r.headers[':status'], 200);
      const echo = JSON.parse(r.body.toString());
      assert.equal(echo.body, body.toString(), 'the upstream got the h2 request body unchanged');
      assert.equal(echo.headers['x-client'], 'h2');
    } finally {
      session.close();
    }
    const r1 = await s.send({ method: 'GET', path: '/proto/h1?v=1.1', headers: [['x-client', 'h1']] });
    assert.equal(r1.status, 200);

    await waitUntil('both transactions', () => transactionsFor(s, '/proto/h2?v=2').length + transactionsFor(s, '/proto/h1?v=1.1').length >= 2);
    const [t2] = transactionsFor(s, '/proto/h2?v=2');
    const [t1] = transactionsFor(s, '/proto/h1?v=1.1');
    assert.ok(t2 && t1, 'both requests captured');
    assert.equal(t2.request['http-version'], '2');
    assert.equal(t1.request['http-version'], '1.1');
    assert.equal(t2.request['http-method'], 'POST');
    assert.equal(t2.request.host, `api.example.test:${s.port}`, ':authority is the host of an h2 request');
    assert.deepEqual(headerValues(t2.request, 'x-client'), ['h2']);
    assert.equal(decodeBody(t2.request).toString(), '{"over":"h2c"}');
    assert.equal(t2.response['status-code'], '200');
    // Pseudo-headers are fields of their own, never header entries.
    assert.ok(!t2.request.headers.some((h: string) => h.startsWith(':')));
    assert.deepEqual(headerValues(t1.request, 'x-client'), ['h1']);
    assert.deepEqual(wasmFailures(s), []);
  });

  test('keep-alive: several requests on one connection are all captured with the same connection-port', async () => {
    const s = await subjectOf();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    const n = 5;
    try {
      for (let i = 0; i < n; i++) {
        const port = await new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: s.port, path: `/keepalive/${i}`, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve((req.socket!.address() as AddressInfo).port));
            assert.equal(res.statusCode, 200);
          });
          req.on('error', reject);
          req.end();
        });
        ports.push(port);
      }
    } finally {
      agent.destroy();
    }
    assert.equal(new Set(ports).size, 1, `one client connection for all ${n} requests (local ports ${ports.join(', ')})`);
    await waitUntil(`the ${n} keep-alive transactions`, () => Array.from({ length: n }, (_, i) => transactionsFor(s, `/keepalive/${i}`).length).every((c) => c >= 1));
    const txns = Array.from({ length: n }, (_, i) => transactionsFor(s, `/keepalive/${i}`));
    for (const [i, t] of txns.entries()) assert.equal(t.length, 1, `/keepalive/${i} captured once`);
    const seen = txns.map((t) => t[0].request.connection['connection-port']);
    assert.deepEqual(seen, Array(n).fill(ports[0]), 'connection-port is the client port of the one connection');
    assert.equal(new Set(txns.map((t) => t[0]['transaction-id'])).size, n);
  });
});

describe('envoy: a gRPC-style exchange over h2c (binary length-prefixed bodies, trailers)', () => {
  // gRPC needs HTTP/2 to the upstream too: an HTTP/1.1 upstream connection carries no trailers (Envoy's
  // HTTP/1 codec drops them). Flex's files have no field for the upstream protocol, so the test makes
  // the API's upstream cluster HTTP/2 through the launcher's editTranslation hook.
  let up: { server: http2.Http2Server; port: number; requests: { headers: http2.IncomingHttpHeaders; body: Buffer }[] } | undefined;
  let p: Promise<Subject> | undefined;
  after(async () => {
    await p?.then((s) => s.close(), () => undefined);
    await new Promise<void>((r) => (up ? up.server.close(() => r()) : r()));
  });
  const reply = grpcFrame(Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)));
  const subjectOf = () => (p ??= (async () => {
    const requests: { headers: http2.IncomingHttpHeaders; body: Buffer }[] = [];
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        requests.push({ headers, body: Buffer.concat(chunks) });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-upstream': 'h2c' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'done' }));
        stream.end(reply);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    up = { server, port: (server.address() as AddressInfo).port, requests };
    const port = up.port;
    return startSubject({
      host: 'envoy',
      prepare: (dir) => editConfFile(dir, 'api-instance.yaml', (docs) => {
        docs[0].spec.services.upstream.address = `http://127.0.0.1:${port}/`;
      }),
      envoy: {
        editTranslation: (t) => {
          const name = upstreamClusterName(t.config.apiInstances[0]);
          const c = (t.cds.resources as any[]).find((r) => r.name === name);
          c.typed_extension_protocol_options = {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          };
        },
      },
    });
  })());

  test('passes unchanged to the client, trailers included; the transaction carries the exact binary bodies', async () => {
    const s = await subjectOf();
    // Every byte value, and a message long enough to span several DATA frames' worth of bookkeeping.
    const message = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31 + 3) & 0xff));
    const request = grpcFrame(message);
    const session = await h2Connect(`http://127.0.0.1:${s.port}`);
    let r: H2Reply;
    try {
      r = await h2Request(session, {
        ':method': 'POST', ':path': '/echo.v1.Echo/Say', ':authority': 'grpc.example.test',
        'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '5S',
      }, request);
    } finally {
      session.close();
    }
    assert.equal(r.headers[':status'], 200);
    assert.equal(r.headers['content-type'], 'application/grpc');
    assert.equal(r.headers['x-upstream'], 'h2c');
    assert.ok(r.body.equals(reply), 'the response body reached the client byte for byte');
    assert.equal(r.trailers?.['grpc-status'], '0', 'the grpc-status trailer reached the client');
    assert.equal(r.trailers?.['grpc-message'], 'done');
    const got = up!.requests.at(-1)!;
    assert.ok(got.body.equals(request), 'the request body reached the upstream byte for byte');
    assert.equal(got.headers['content-type'], 'application/grpc');
    assert.equal(got.headers.te, 'trailers');

    await s.mock.waitForTransactions(1, 15000);
    const [t] = transactionsFor(s, '/echo.v1.Echo/Say');
    assert.ok(t, 'the gRPC call was captured');
    assert.equal(t.request['http-version'], '2');
    assert.equal(t.request['http-method'], 'POST');
    assert.deepEqual(headerValues(t.request, 'content-type'), ['application/grpc']);
    assert.ok(decodeBody(t.request).equals(request), 'request body: the exact length-prefixed bytes');
    assert.equal(t.request.body.length, request.length);
    assert.ok(decodeBody(t.response).equals(reply), 'response body: the exact length-prefixed bytes');
    assert.equal(t.response['status-code'], '200');
    assert.deepEqual(headerValues(t.response, 'content-type'), ['application/grpc']);
    // Trailers end the response; they are not header entries of the transaction.
    assert.deepEqual(headerValues(t.response, 'grpc-status'), []);
    assert.ok(cequenceLines(s).some((l) => l.startsWith('[cequence] Built transaction ') && l.includes('(POST /echo.v1.Echo/Say - 200)')));
    assert.deepEqual(wasmFailures(s), []);
  });
});
