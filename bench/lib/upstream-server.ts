// A minimal upstream for the gateway benchmark, run as a child process so it does not share the
// gateway's event loop: reads the request body, answers 200 with a fixed 1 KiB JSON body and a few
// typical headers, keep-alive. Prints {"port": N} on stdout once listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const size = Number(process.env.BENCH_UPSTREAM_BODY ?? 1024);
const unit = '{"id":12345,"sku":"AB-1234","name":"Widget, blue","qty":3,"price":19.99,"tags":["new","sale"]},';
const body = Buffer.from(unit.repeat(Math.ceil(size / unit.length)).slice(0, size));

const server = http.createServer({ keepAlive: true }, (req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'cache-control': 'no-store',
      etag: 'W/"400-1a2b3c4d"',
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': 'max-age=31536000',
      'x-request-id': String(req.headers['x-request-id'] ?? ''),
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
