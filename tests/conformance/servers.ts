// The servers a conformance scenario talks to: the route's upstream (its replies can be paced by the
// test) and the proxy_http_call targets: a live server, one that hangs, one that resets after the
// headers, one that closes before any header, and a port nobody listens on.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedPort, listen } from '../emulator/helpers.ts';

export interface Seen {
  method?: string;
  url?: string;
  /** raw header pairs, lowercased names */
  headers: [string, string][];
  body: string;
  trailers: [string, string][];
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void | Promise<void>;

export interface Recorder {
  url: string;
  seen: Seen[];
  /** Replace the handler for the next requests. */
  handle(h: Handler): void;
  close(): Promise<void>;
}

const pairsOf = (raw: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
};

/** A server that records every request (headers, body, trailers) before its handler answers. */
export async function recorder(initial: Handler): Promise<Recorder> {
  let handler = initial;
  const seen: Seen[] = [];
  const held = new Set<http.ServerResponse>();
  const srv = await listen((req, res) => {
    const s: Seen = { method: req.method, url: req.url, headers: pairsOf(req.rawHeaders), body: '', trailers: [] };
    seen.push(s);
    held.add(res);
    res.on('close', () => held.delete(res));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s.body += c));
    req.on('end', () => {
      s.trailers = pairsOf(req.rawTrailers);
      void handler(req, res, s);
    });
  });
  return {
    url: srv.url,
    seen,
    handle(h) { handler = h; },
    async close() { for (const r of held) r.destroy(); await srv.close(); },
  };
}

export interface Callees {
  /** service name -> URL, for PluginSetup.services */
  services: Record<string, string>;
  live: Recorder;
  close(): Promise<void>;
}

/** Services `live`, `hang`, `reset`, `close` (closes before headers) and `closed` (nobody listens). */
export async function callees(): Promise<Callees> {
  const live = await recorder((req, res) => {
    res.setHeader('x-multi', ['1', '2']);
    res.setHeader('content-type', 'text/plain');
    res.end('pong:' + req.url);
  });
  const hang = await recorder(() => { /* never answers */ });
  const reset = await recorder((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 30);
  });
  const close = await recorder((req) => { req.socket.destroy(); });
  const port = await closedPort();
  return {
    services: { live: live.url, hang: hang.url, reset: reset.url, close: close.url, closed: `http://127.0.0.1:${port}` },
    live,
    async close() { for (const r of [live, hang, reset, close]) await r.close(); },
  };
}

export function portOf(s: http.Server): number {
  return (s.address() as AddressInfo).port;
}
