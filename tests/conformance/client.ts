// HTTP/1.1 client for the conformance scenarios: one connection per Connection object (so a test
// knows which worker serves it), bodies written chunk by chunk with a wait between chunks (the
// next chunk goes only once the host has seen the previous one, so chunk boundaries do not
// depend on TCP timing).
import http from 'node:http';

export interface Reply {
  status: number;
  headers: [string, string][];
  body: string;
  trailers: [string, string][];
}

export interface RequestSpec {
  method?: string;
  path: string;
  headers?: [string, string][];
  /** Body chunks; `between(i)` is awaited before chunk i (i >= 1) is written. */
  body?: string[];
  between?: (i: number) => Promise<void>;
  trailers?: [string, string][];
  /** Send Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean;
}

const pairsOf = (raw: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
};

export class Connection {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(readonly baseUrl: string) {}

  request(spec: RequestSpec): Promise<Reply> {
    const body = spec.body ?? [];
    // A raw header array gets no automatic Host header from Node: send it first, as curl does.
    const flat: string[] = ['host', new URL(this.baseUrl).host];
    for (const [k, v] of spec.headers ?? []) flat.push(k, v);
    if (body.length && !spec.chunked) flat.push('content-length', String(body.reduce((a, c) => a + Buffer.byteLength(c), 0)));
    if (spec.chunked) flat.push('transfer-encoding', 'chunked');
    if (spec.trailers?.length) flat.push('trailer', spec.trailers.map(([k]) => k).join(', '));
    return new Promise((resolve, reject) => {
      const req = http.request(this.baseUrl + spec.path, {
        method: spec.method ?? (body.length ? 'POST' : 'GET'),
        headers: flat as unknown as http.OutgoingHttpHeaders,
        agent: this.agent,
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: pairsOf(res.rawHeaders), body: text, trailers: pairsOf(res.rawTrailers) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      void (async () => {
        for (let i = 0; i < body.length; i++) {
          if (i > 0 && spec.between) await spec.between(i);
          req.write(body[i]);
        }
        if (spec.trailers?.length) req.addTrailers(spec.trailers);
        req.end();
      })().catch(reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
