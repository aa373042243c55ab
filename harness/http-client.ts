// The harness's HTTP/1.1 client: one request on a new connection, raw headers in order (repeats kept),
// a body sent with content-length or chunked, and what came back, byte for byte.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Request {
  method: string;
  path: string;
  headers?: [string, string][];
  /** One buffer: sent with content-length. Several: sent chunked (transfer-encoding), one write each. */
  body?: Buffer | Buffer[] | string;
}

export interface Sent {
  status: number;
  /** Response headers as received, [lowercase name, value] in order (repeats kept). */
  headers: [string, string][];
  body: Buffer;
  /** The client's local port (the gateway's view: source port). */
  localPort: number;
}

export function pairsOf(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** Sends one request to `base` (the gateway's URL) on a fresh connection. */
export function sendRequest(base: string, r: Request): Promise<Sent> {
  const u = new URL(base);
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  return new Promise((resolve, reject) => {
    // A raw header array gets no automatic Host: send it first, as a client would.
    const raw: string[] = ['host', u.host];
    for (const [k, v] of r.headers ?? []) raw.push(k, v);
    const chunked = Array.isArray(body);
    if (!chunked) raw.push('content-length', String(body ? body.length : 0));
    let localPort = 0;
    const req = http.request({ host: u.hostname, port: u.port, method: r.method, path: r.path, headers: raw as any, agent: false });
    req.on('socket', (s) => s.on('connect', () => (localPort = (s.address() as AddressInfo).port)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: pairsOf(res.rawHeaders), body: Buffer.concat(chunks), localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunked) {
      for (const c of body as Buffer[]) req.write(c);
      req.end();
    } else {
      req.end(body as Buffer | undefined);
    }
  });
}
