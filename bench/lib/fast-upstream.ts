// A fast upstream for bench:envoy, run as its own process: a raw TCP HTTP/1.1 server (no node:http
// parsing) that reads each request (Content-Length bodies, keep-alive) and answers 200 with a
// prebuilt response whose body size is the request path's `/<n>` (e.g. POST /bench/1024 → 1024 bytes).
// Eight typical response headers. It is also the benchmark's Edge: a request whose path starts with
// /api-transactions is answered 200 with an empty body and counted; GET /__stats gives the counts as
// JSON ({"edgeRequests", "edgeBytes", "edgeTransactions"}: a key split across two reads is missed, rarely). Prints {"port": N} on stdout once listening.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

const unit = '{"id":12345,"sku":"AB-1234","name":"Widget, blue","qty":3,"price":19.99,"tags":["new","sale"]},';
const STATS = -2;
const cache = new Map<number, Buffer>();
function response(size: number): Buffer {
  let r = cache.get(size);
  if (!r) {
    const body = Buffer.from(unit.repeat(Math.ceil(size / unit.length) || 1).slice(0, size));
    const head =
      'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n' +
      `content-length: ${size}\r\ncache-control: no-store\r\netag: W/"400-1a2b3c4d"\r\nvary: Accept-Encoding\r\n` +
      'x-content-type-options: nosniff\r\nstrict-transport-security: max-age=31536000\r\nserver: bench-upstream\r\n\r\n';
    r = Buffer.concat([Buffer.from(head, 'latin1'), body]);
    cache.set(size, r);
  }
  return r;
}

let edgeRequests = 0;
let edgeBytes = 0;
let edgeTransactions = 0; // occurrences of "transaction-id": in Edge bodies (one per transaction)
const TX_KEY = Buffer.from('"transaction-id":');
function stats(): Buffer {
  const body = JSON.stringify({ edgeRequests, edgeBytes, edgeTransactions });
  return Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`, 'latin1');
}

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  let skip = 0; // body bytes of the current request still to come
  let pending = -1; // response size owed once the body is in
  let edgeBody = false; // the body being skipped is an Edge batch
  sock.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      if (pending !== -1) {
        const take = Math.min(skip, buf.length);
        if (edgeBody) for (let at = buf.indexOf(TX_KEY); at >= 0 && at < take; at = buf.indexOf(TX_KEY, at + TX_KEY.length)) edgeTransactions++;
        skip -= take;
        buf = buf.subarray(take);
        if (skip > 0) return;
        sock.write(pending === STATS ? stats() : response(pending));
        pending = -1;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      buf = buf.subarray(end + 4);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      skip = cl ? Number(cl[1]) : 0;
      if (/^[A-Z]+ \/api-transactions/.test(head)) {
        edgeRequests++;
        edgeBytes += skip;
        pending = 0;
        edgeBody = true;
      } else if (head.startsWith('GET /__stats')) {
        pending = STATS;
        edgeBody = false;
      } else {
        edgeBody = false;
        const m = /^[A-Z]+ \/(?:[^/ ?]*\/)*(\d+)/.exec(head);
        pending = m ? Number(m[1]) : 0;
      }
      if (/\r\ntransfer-encoding:/i.test(head)) {
        sock.destroy(new Error('chunked requests are not supported by the bench upstream'));
        return;
      }
    }
  });
  sock.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
