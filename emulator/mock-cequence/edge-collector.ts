// The mock's Edge collector: accepts only Cequence's wire format (emulator/wire-format.ts) with a
// valid bearer token, answers 400 with the reason to anything else, and records every request and
// every accepted batch.
import type http from 'node:http';
import { LoopbackServer, headersOf, readBody, type LoopbackTls } from '../loopback-server.ts';
import { batchProblem } from '../wire-format.ts';
import { normalizePath, recordAnswer, send, type MockEnv } from './endpoint.ts';
import { describeMode, FaultSwitch, type EdgeMode } from './faults.ts';

export interface EdgeRequestRecord {
  seq: number;
  time: number;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  bodyLength: number;
  mode: string;
  status?: number;
  outcome: 'pending' | 'accepted' | 'rejected' | 'fault' | 'hang' | 'reset' | 'client-gone';
  reason?: string;
}

export interface Batch {
  seq: number;
  time: number;
  headers: Record<string, string | string[]>;
  raw: Buffer;
  /** The posted document, {"data": [...]}. */
  json: unknown;
  /** Its transactions (json.data). */
  transactions: unknown[];
  /** The bearer token the batch came with (undefined when auth is disabled and none was sent). */
  token?: string;
}

/** Where the collector asks whether a bearer token is good (the token endpoint's record). */
export interface TokenCheck {
  /** Why a request with this bearer token (from this Authorization header) must be refused; undefined if it is good. */
  tokenProblem(token: string | undefined, header: string | undefined): string | undefined;
}

export interface EdgeCollectorOptions {
  /** Normalised (normalizePath). */
  edgePath: string;
  /** When false, batches without an Authorization header are accepted. */
  authRequired: boolean;
  /** Largest accepted body; larger gets 413. */
  maxBatchBytes: number;
  tls?: LoopbackTls;
}

export interface EdgeCollector {
  readonly server: LoopbackServer;
  readonly modes: FaultSwitch<EdgeMode>;
  /** Every request that reached the port, whatever the answer. */
  readonly edgeRequests: EdgeRequestRecord[];
  /** Accepted batches (2xx answered), in arrival order. */
  readonly batches: Batch[];
  /** Every transaction of every accepted batch, flattened in order. */
  readonly transactions: unknown[];
  /** Bytes of the accepted batches. */
  readonly bytes: number;
  authRequired: boolean;
  /** Forget the recorded requests, batches and transactions. */
  reset(): void;
}

function bearerOf(req: http.IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

export function createEdgeCollector(env: MockEnv, tokens: TokenCheck, options: EdgeCollectorOptions): EdgeCollector {
  const { edgePath, maxBatchBytes } = options;
  const { now, changed } = env;
  const edgeRequests: EdgeRequestRecord[] = [];
  const batches: Batch[] = [];
  const transactions: unknown[] = [];
  let bytes = 0;
  let seq = 0;
  let batchSeq = 0;

  const server = new LoopbackServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(err) }), 'application/json');
    });
  }, { tls: options.tls });
  const modes = new FaultSwitch<EdgeMode>(server, env.closed, false);

  const collector: EdgeCollector = {
    server,
    modes,
    edgeRequests,
    batches,
    transactions,
    get bytes() {
      return bytes;
    },
    authRequired: options.authRequired,
    reset() {
      batches.length = 0;
      transactions.length = 0;
      edgeRequests.length = 0;
      bytes = 0;
    },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const mode = modes.take();
    const rec: EdgeRequestRecord = {
      seq: ++seq,
      time: now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: headersOf(req),
      body: Buffer.alloc(0),
      bodyLength: 0,
      mode: describeMode(mode),
      outcome: 'pending',
    };
    edgeRequests.push(rec);
    recordAnswer(rec, res, changed);
    changed();

    if (mode.name === 'reset') {
      rec.outcome = 'reset';
      req.socket.destroy();
      changed();
      return;
    }
    let body: Buffer;
    try {
      const r = await readBody(req, maxBatchBytes);
      body = r.body;
      rec.bodyLength = r.length;
      if (r.overLimit) {
        rec.body = body;
        rec.outcome = 'rejected';
        rec.reason = `body over ${maxBatchBytes} bytes`;
        send(res, 413, JSON.stringify({ error: rec.reason }), 'application/json');
        return;
      }
    } catch {
      rec.outcome = 'client-gone';
      changed();
      return;
    }
    rec.body = body;
    if (mode.name === 'hang') {
      rec.outcome = 'hang';
      changed();
      return;
    }
    if (mode.name === 'slow') {
      await env.delay(mode.opts.delayMs ?? 2000);
      // A client that gave up (timeout) will retry: a batch it never saw acknowledged is not accepted.
      if (env.closed() || res.destroyed || req.socket.destroyed) {
        if (rec.outcome === 'pending') rec.outcome = 'client-gone';
        changed();
        return;
      }
    }
    if (mode.name === 'status') {
      rec.outcome = 'fault';
      send(res, mode.status, mode.opts.body ?? JSON.stringify({ error: `mock edge mode ${mode.status}` }),
        mode.opts.contentType ?? 'application/json');
      return;
    }
    // ok / slow: a real collector
    const reject = (status: number, reason: string, extra: Record<string, string> = {}) => {
      rec.outcome = 'rejected';
      rec.reason = reason;
      send(res, status, JSON.stringify({ error: reason }), 'application/json', extra);
    };
    if (normalizePath(req.url ?? '/') !== edgePath) return reject(404, `no such path (edge path is ${edgePath})`);
    if (req.method !== 'POST') return reject(405, 'method not allowed', { allow: 'POST' });
    const token = bearerOf(req);
    if (collector.authRequired) {
      const problem = tokens.tokenProblem(token, req.headers.authorization);
      if (problem) return reject(401, problem, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return reject(400, `body is not JSON: ${(e as Error).message}`);
    }
    // Cequence's wire format only: {"data": [transactions]}, each transaction schema-valid with
    // base64 headers and {length, data} bodies.
    const problem = batchProblem(json);
    if (problem) return reject(400, `not Cequence's batch format: ${problem}`);
    const txns = (json as { data: unknown[] }).data;
    rec.outcome = 'accepted';
    batches.push({ seq: ++batchSeq, time: now(), headers: rec.headers, raw: body, json, transactions: txns, token });
    for (const t of txns) transactions.push(t);
    bytes += body.length;
    send(res, mode.opts.status ?? 200, JSON.stringify({ received: txns.length }), 'application/json');
  }

  return collector;
}
