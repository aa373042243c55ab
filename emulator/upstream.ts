// A small configurable upstream (the "API" behind the gateway) for tests, the demo and benchmarks.
// Listens on 127.0.0.1. By default it echoes the request as JSON:
//   {method, path, query, headers, rawHeaders, bodyLength, bodyEncoding: 'utf8'|'base64', body}
// Query parameters change the answer (so a client going through the gateway can drive it):
//   status=N        answer status N (204 and 304 never carry a body)
//   size=N          answer N bytes of deterministic text (a-z cycle) instead of the echo; streamed
//                   in 64 KiB chunks, so size=50000000 is fine
//   binary=1        answer bytes 0..255 repeating (application/octet-stream); size defaults to 1024
//   raw=1           answer the request body bytes unchanged, with the request's content-type
//   chunked=1       Transfer-Encoding: chunked (no Content-Length), body written in several chunks
//   delay=MS        wait MS before answering
//   pace=MS         with chunked=1, wait MS between the body's chunks (a slowly streamed answer)
//   reset=before    destroy the connection instead of answering (no status line at all)
//   reset=after     send the status line, the headers and the first half of the body, then destroy
//                   the connection (a response that never completes)
//   header=name:v   add a response header (repeatable; the same name twice gives a multi-valued header)
//   type=MIME       response content-type
// Every request is recorded with its headers and body (the first `recordLimit` bytes, plus the total
// length and a SHA-256 of the whole body) and so is the response it got, so a test can compare what
// the upstream saw and sent with what the policy captured.
//
// Run standalone: npx tsx emulator/upstream.ts [--port N]

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { pathToFileURL } from 'node:url';
import { LoopbackServer, headersOf, waitFor } from './loopback-server.ts';

export interface UpstreamOptions {
  port?: number;
  /** Bytes of each request/response body kept in memory (default 1 MiB); hashes cover everything. */
  recordLimit?: number;
}

export interface RecordedBody {
  /** The first `recordLimit` bytes. */
  bytes: Buffer;
  length: number;
  sha256: string;
  truncated: boolean;
}

export interface UpstreamExchange {
  seq: number;
  time: number;
  method: string;
  /** Request target as received (path + query). */
  url: string;
  path: string;
  query: Record<string, string | string[]>;
  httpVersion: string;
  headers: Record<string, string | string[]>;
  rawHeaders: string[];
  request: RecordedBody;
  response?: {
    status: number;
    headers: Record<string, string | string[] | number>;
    body: RecordedBody;
  };
  /** True once the response was fully written; false if the client went away first. */
  completed: boolean;
}

export interface Upstream {
  url: string;
  port: number;
  host: string;
  exchanges: UpstreamExchange[];
  waitForRequests(n: number, timeoutMs?: number): Promise<UpstreamExchange[]>;
  reset(): void;
  close(): Promise<void>;
}

class BodyRecorder {
  #chunks: Buffer[] = [];
  #kept = 0;
  #length = 0;
  #hash = createHash('sha256');
  constructor(private limit: number) {}
  add(c: Buffer): void {
    this.#length += c.length;
    this.#hash.update(c);
    if (this.#kept < this.limit) {
      const part = c.length <= this.limit - this.#kept ? c : c.subarray(0, this.limit - this.#kept);
      this.#chunks.push(Buffer.from(part));
      this.#kept += part.length;
    }
  }
  done(): RecordedBody {
    return {
      bytes: Buffer.concat(this.#chunks),
      length: this.#length,
      sha256: this.#hash.digest('hex'),
      truncated: this.#length > this.#kept,
    };
  }
}

/** Deterministic body generators: the same (kind, offset) always gives the same bytes. */
export function patternBytes(kind: 'text' | 'binary', offset: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    b[i] = kind === 'binary' ? k & 0xff : 97 + (k % 26);
  }
  return b;
}

const CHUNK = 64 * 1024;

function queryOf(u: URL): Record<string, string | string[]> {
  const q: Record<string, string | string[]> = {};
  for (const [k, v] of u.searchParams) {
    const e = q[k];
    q[k] = e === undefined ? v : Array.isArray(e) ? [...e, v] : [e, v];
  }
  return q;
}

export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const recordLimit = options.recordLimit ?? 1024 * 1024;
  const exchanges: UpstreamExchange[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;
  let closed = false;

  const server = new LoopbackServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://upstream');
    const q = u.searchParams;
    const reqRec = new BodyRecorder(recordLimit);
    const ex: UpstreamExchange = {
      seq: ++seq,
      time: Date.now(),
      method: req.method ?? '',
      url: req.url ?? '',
      path: u.pathname,
      query: queryOf(u),
      httpVersion: req.httpVersion,
      headers: headersOf(req),
      rawHeaders: req.rawHeaders.slice(),
      request: { bytes: Buffer.alloc(0), length: 0, sha256: '', truncated: false },
      completed: false,
    };
    // The whole request is read before answering (the echo needs it); it is hashed as it streams.
    await new Promise<void>((resolve, reject) => {
      req.on('data', (c: Buffer) => reqRec.add(c));
      req.on('end', resolve);
      req.on('error', reject);
    });
    ex.request = reqRec.done();
    exchanges.push(ex);
    events.emit('change');

    const delay = Number(q.get('delay') ?? 0);
    if (delay > 0) {
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          timers.delete(t);
          r();
        }, delay);
        timers.add(t);
      });
      if (closed || res.destroyed) return;
    }

    const reset = q.get('reset');
    if (reset === 'before') {
      req.socket.destroy();
      return;
    }

    const status = Number(q.get('status') ?? 200);
    const noBody = status === 204 || status === 304 || (status >= 100 && status < 200) || req.method === 'HEAD';
    const chunked = q.get('chunked') === '1' || q.get('chunked') === 'true';
    const binary = q.get('binary') === '1' || q.get('binary') === 'true';
    const sizeParam = q.get('size');

    // The body is a list of producers so a large one is streamed, never built whole.
    let total: number;
    let produce: (offset: number, n: number) => Buffer;
    let contentType: string;
    if (binary || sizeParam !== null) {
      const kind = binary ? 'binary' : 'text';
      total = Math.max(0, Number(sizeParam ?? 1024) || 0);
      produce = (o, n) => patternBytes(kind, o, n);
      contentType = binary ? 'application/octet-stream' : 'text/plain; charset=utf-8';
    } else if (q.get('raw') === '1') {
      const body = ex.request.bytes;
      total = body.length;
      produce = (o, n) => body.subarray(o, o + n);
      contentType = (req.headers['content-type'] as string | undefined) ?? 'application/octet-stream';
    } else {
      const r = ex.request;
      const utf8 = r.bytes.toString('utf8');
      const isUtf8 = Buffer.from(utf8, 'utf8').equals(r.bytes);
      const echo = Buffer.from(JSON.stringify({
        method: ex.method,
        path: ex.path,
        query: ex.query,
        headers: ex.headers,
        rawHeaders: ex.rawHeaders,
        bodyLength: r.length,
        bodySha256: r.sha256,
        bodyTruncated: r.truncated,
        bodyEncoding: isUtf8 ? 'utf8' : 'base64',
        body: isUtf8 ? utf8 : r.bytes.toString('base64'),
      }));
      total = echo.length;
      produce = (o, n) => echo.subarray(o, o + n);
      contentType = 'application/json';
    }
    if (q.get('type')) contentType = q.get('type')!;
    if (noBody) total = 0;

    res.statusCode = status;
    if (!noBody) res.setHeader('content-type', contentType);
    const extra: Record<string, string[]> = {};
    for (const h of q.getAll('header')) {
      const i = h.indexOf(':');
      if (i <= 0) continue;
      const name = h.slice(0, i).trim().toLowerCase();
      (extra[name] ??= []).push(h.slice(i + 1).trim());
    }
    for (const [k, v] of Object.entries(extra)) res.setHeader(k, v.length === 1 ? v[0] : v);
    if (!noBody) {
      if (chunked) res.setHeader('transfer-encoding', 'chunked');
      else res.setHeader('content-length', String(total));
    }

    const resRec = new BodyRecorder(recordLimit);
    res.on('finish', () => {
      ex.completed = true;
      events.emit('change');
    });
    const record = () => {
      ex.response = { status, headers: res.getHeaders() as Record<string, string | string[] | number>, body: resRec.done() };
    };
    if (total === 0) {
      record();
      res.end();
      return;
    }
    if (reset === 'after') {
      const half = produce(0, Math.max(1, Math.floor(total / 2)));
      resRec.add(half);
      res.write(half, () => res.socket?.destroy());
      return;
    }
    const pace = Number(q.get('pace') ?? 0);
    // Chunked answers go out in several writes so the client sees several chunks.
    const piece = chunked ? Math.max(1, Math.min(CHUNK, Math.ceil(total / 4))) : CHUNK;
    let offset = 0;
    while (offset < total) {
      if (res.destroyed) return;
      const n = Math.min(piece, total - offset);
      const buf = produce(offset, n);
      resRec.add(buf);
      offset += n;
      if (offset >= total) record();
      const ok = res.write(buf);
      if (!ok) {
        await new Promise<void>((r) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            r();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      } else if (chunked && pace > 0 && offset < total) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            timers.delete(t);
            r();
          }, pace);
          timers.add(t);
        });
        if (closed) return;
      } else if (chunked) {
        // Let each chunk leave on its own.
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    res.end();
  }

  await server.up(options.port ?? 0);

  return {
    url: server.url,
    port: server.port,
    host: `127.0.0.1:${server.port}`,
    exchanges,
    waitForRequests(n, timeoutMs = 5000) {
      return waitFor(events, () => exchanges.length >= n && exchanges.slice(), timeoutMs,
        () => `${n} upstream request(s) (have ${exchanges.length})`);
    },
    reset() {
      exchanges.length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      events.emit('close');
      await server.down();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--port');
  const up = await startUpstream({ port: i > 0 ? Number(process.argv[i + 1]) : 0 });
  console.log(`upstream: ${up.url}`);
  const stop = () => void up.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
