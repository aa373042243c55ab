// A Cequence that answers the policy's root-context calls with garbage, chosen per request by a seeded
// generator: token answers with invalid or truncated JSON, expires_in of 0, negative, huge or a string,
// 30 KB tokens, binary bodies, every status class, empty answers, resets, and calls never answered.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Rng } from './hostile.ts';

export interface GarbageCequence {
  url: string;
  /** Answers given, by kind (for the report). */
  answers: Record<string, number>;
  close(): Promise<void>;
}

const STATUSES = [200, 201, 204, 301, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504, 599];

function tokenBody(r: Rng): { kind: string; body: Buffer | string; status: number } {
  const exp = r.pick<unknown>([3600, 0, -5, 1e12, 2 ** 53, '60', 'soon', null, 1.5, [], {}]);
  const token = r.chance(0.1) ? 'T'.repeat(30 * 1024) : r.chance(0.1) ? '' : r.bytes(24).toString('base64');
  const k = r.below(12);
  const good = JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: exp });
  if (k < 4) return { kind: `token expires_in=${JSON.stringify(exp)}`, body: good, status: 200 };
  if (k === 4) return { kind: 'token truncated', body: good.slice(0, r.below(good.length)), status: 200 };
  if (k === 5) return { kind: 'token binary', body: r.bytes(r.below(4096)), status: 200 };
  if (k === 6) return { kind: 'token not an object', body: r.pick(['[]', '"x"', '1', 'null', 'true', '{"access_token":1}', '{"access_token":null}']), status: 200 };
  if (k === 7) return { kind: 'token empty', body: '', status: 200 };
  if (k === 8) return { kind: 'token nested', body: '['.repeat(5000) + ']'.repeat(5000), status: 200 };
  const status = r.pick(STATUSES);
  return { kind: `token status ${status}`, body: r.chance(0.5) ? good : r.bytes(r.below(512)), status };
}

export async function startGarbageCequence(seed: number): Promise<GarbageCequence> {
  const r = new Rng(seed ^ 0x5eed);
  const answers: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const count = (k: string) => (answers[k] = (answers[k] ?? 0) + 1);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fate = r.below(20);
      if (fate === 0) {
        count('never answered');
        return; // the call times out on the policy's side
      }
      if (fate === 1) {
        count('reset');
        req.socket.destroy();
        return;
      }
      const isToken = req.method === 'POST' && (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
      if (isToken) {
        const t = tokenBody(r);
        count(t.kind.replace(/=.*/, ''));
        res.writeHead(t.status, { 'content-type': r.chance(0.8) ? 'application/json' : 'text/html' });
        res.end(t.body);
        return;
      }
      const status = r.chance(0.6) ? 200 : r.pick(STATUSES);
      count(`edge status ${status}`);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(r.chance(0.5) ? '{"received":1}' : r.bytes(r.below(2048)));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_e, s: Socket) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
