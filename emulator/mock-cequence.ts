// Mock Cequence UAP for local runs, tests, the demo and benchmarks: an OAuth2 client-credentials
// token endpoint and an Edge collector, each on its own port on 127.0.0.1. The collector accepts only
// Cequence's wire format (emulator/wire-format.ts) and answers 400 with the reason to anything else.
//
// Token endpoint: built on the `oauth2-mock-server` library (OAuth2Service + OAuth2Issuer, which sign
// real RS256 JWTs and serve discovery/JWKS). The library alone cannot do everything this mock needs,
// so it is wrapped:
//   - it does not verify client credentials at all (any client_id/secret gets a token) and accepts
//     every grant type it knows: the `beforeResponse` hook rewrites the answer to 400
//     `unsupported_grant_type` / 401 `invalid_client` (RFC 6749 §5.2);
//   - its token lifetime is a hard-coded 3600 s: the `beforeTokenSigning` hook sets iat/nbf/exp from
//     this mock's clock and `beforeResponse` sets `expires_in`;
//   - RS256 signatures are deterministic, so two tokens issued in the same second would be identical
//     (and a token re-issued after a revocation would still be revoked): `beforeTokenSigning` adds a
//     unique `jti`;
//   - it has no fault injection (garbage body, 5xx, hang, connection refused) and its own HttpServer
//     cannot be taken down and reopened on the same port: the service's request handler is mounted
//     in this file's LoopbackServer, which applies the fault modes before delegating;
//   - it keeps no record of what it issued: issued tokens and every token request are recorded here,
//     and the Edge collector validates bearer tokens against that record (not by JWT signature, so a
//     revoked or expired token is refused even though its signature is valid).
//
// Run standalone:  npx tsx emulator/mock-cequence.ts [--auth-port N] [--edge-port N]
//   [--client-id ID] [--client-secret S] [--auth-path P] [--edge-path P] [--no-auth]

import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';
import { LoopbackServer, headersOf, readBody, waitFor, type LoopbackTls } from './loopback-server.ts';
import { batchProblem } from './wire-format.ts';

export const DEFAULT_AUTH_PATH = '/auth/realms/cequence/protocol/openid-connect/token';
export const DEFAULT_EDGE_PATH = '/api-transactions';

/** `ok`; a status code (number or digits, e.g. 401, '500'); `slow` (answer normally after
 *  `delayMs`); `down` (listener closed: connection refused); `hang` (accept and read the request,
 *  never answer); `reset` (destroy the socket once the request headers arrive). */
export type FaultMode = 'ok' | 'slow' | 'down' | 'hang' | 'reset' | number | `${number}`;
/** Auth adds `garbage`: 200 with a body that is not JSON (or `opts.body`). */
export type AuthMode = FaultMode | 'garbage';
export type EdgeMode = FaultMode;

export interface ModeOptions {
  /** `slow`: delay before answering (default 2000 ms). */
  delayMs?: number;
  /** `ok`: success status (edge default 200). Status modes: overrides the mode's number. */
  status?: number;
  /** Body of a status / garbage answer (default: a small JSON error, or non-JSON text for garbage). */
  body?: string | Buffer;
  contentType?: string;
  /** Revert to `ok` after this many requests were handled in this mode (not for `down`). */
  count?: number;
  /** Auth `ok`/`slow`: advertised `expires_in` (null: omit the field); the real validity stays
   *  `tokenLifetimeSeconds`. */
  expiresIn?: number | null;
}

export interface MockCequenceOptions {
  clientId?: string;
  clientSecret?: string;
  /** Validity of issued tokens and the advertised `expires_in` (default 3600). */
  tokenLifetimeSeconds?: number;
  authPath?: string;
  edgePath?: string;
  /** When false the Edge accepts batches without an Authorization header (default true). */
  authRequired?: boolean;
  authPort?: number;
  edgePort?: number;
  /** Largest accepted Edge body (default 64 MiB); larger gets 413. */
  maxBatchBytes?: number;
  /** Clock in ms (default Date.now): lets tests expire tokens without waiting. */
  now?: () => number;
  /** Serve both endpoints over HTTPS with this certificate (e.g. `await testCa()` from test-ca.ts);
   *  authUrl / edgeUrl are then https://. */
  tls?: LoopbackTls;
}

export interface IssuedToken {
  token: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

export interface TokenRequestRecord {
  seq: number;
  time: number;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  rawBody: Buffer;
  /** Form (or JSON) fields as the token endpoint parsed them (ok/slow modes). */
  params?: Record<string, unknown>;
  /** How the client sent its credentials. */
  authMethod?: 'client_secret_post' | 'client_secret_basic' | 'none';
  clientId?: string;
  mode: string;
  status?: number;
  outcome: 'pending' | 'issued' | 'refused' | 'fault' | 'hang' | 'reset' | 'client-gone';
  reason?: string;
  token?: string;
}

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

export interface MockCequence {
  authUrl: string;
  edgeUrl: string;
  authPath: string;
  edgePath: string;
  clientId: string;
  clientSecret: string;
  /** Accepted batches (2xx answered), in arrival order. */
  batches: Batch[];
  /** Every transaction of every accepted batch, flattened in order. */
  transactions: unknown[];
  /** Every request that reached the token endpoint's port, whatever the answer. */
  tokenRequests: TokenRequestRecord[];
  /** Every request that reached the Edge port, whatever the answer. */
  edgeRequests: EdgeRequestRecord[];
  issuedTokens: IssuedToken[];
  readonly counts: {
    batches: number;
    transactions: number;
    bytes: number;
    tokenRequests: number;
    tokensIssued: number;
    edgeRequests: number;
  };
  readonly edgeMode: string;
  readonly authMode: string;
  setEdgeMode(mode: EdgeMode, opts?: ModeOptions): Promise<void>;
  setAuthMode(mode: AuthMode, opts?: ModeOptions): Promise<void>;
  setAuthRequired(required: boolean): void;
  setTokenLifetime(seconds: number): void;
  /** Revoke every token issued so far: the next Edge call with one of them gets 401. */
  revokeTokens(): void;
  isTokenValid(token: string): boolean;
  waitForTransactions(n: number, timeoutMs?: number): Promise<unknown[]>;
  waitForBatches(n: number, timeoutMs?: number): Promise<Batch[]>;
  waitForTokenRequests(n: number, timeoutMs?: number): Promise<TokenRequestRecord[]>;
  waitForEdgeRequests(n: number, timeoutMs?: number): Promise<EdgeRequestRecord[]>;
  /** Forget recorded requests, batches, transactions and the issued-token list (issued tokens stay
   *  valid at the Edge until they expire or are revoked). */
  reset(): void;
  close(): Promise<void>;
}

interface ModeState {
  name: string; // 'ok' | 'slow' | 'down' | 'hang' | 'reset' | 'garbage' | 'status'
  status: number;
  opts: ModeOptions;
  remaining: number; // Infinity when no count
}

function parseMode(mode: AuthMode, opts: ModeOptions = {}): ModeState {
  const remaining = opts.count !== undefined ? Math.max(0, Math.floor(opts.count)) : Infinity;
  if (typeof mode === 'number' || /^\d{3}$/.test(String(mode))) {
    const status = opts.status ?? Number(mode);
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error(`bad status mode ${mode}`);
    return { name: 'status', status, opts, remaining };
  }
  if (!['ok', 'slow', 'down', 'hang', 'reset', 'garbage'].includes(String(mode))) {
    throw new Error(`unknown mode ${String(mode)}`);
  }
  return { name: String(mode), status: opts.status ?? 200, opts, remaining };
}

function describe(m: ModeState): string {
  return m.name === 'status' ? String(m.status) : m.name;
}

function normalizePath(p: string): string {
  const pathname = new URL(p, 'http://localhost').pathname;
  return pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64; accept unencoded ones too.
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, contentType: string,
  extra: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(buf.length), ...extra });
  res.end(buf);
}

export async function startMockCequence(options: MockCequenceOptions = {}): Promise<MockCequence> {
  const clientId = options.clientId ?? 'demo-client';
  const clientSecret = options.clientSecret ?? 'demo-secret';
  let tokenLifetime = options.tokenLifetimeSeconds ?? 3600;
  const authPath = normalizePath(options.authPath ?? DEFAULT_AUTH_PATH);
  const edgePath = normalizePath(options.edgePath ?? DEFAULT_EDGE_PATH);
  let authRequired = options.authRequired ?? true;
  const maxBatchBytes = options.maxBatchBytes ?? 64 * 1024 * 1024;
  const now = options.now ?? Date.now;

  const events = new EventEmitter();
  events.setMaxListeners(0);
  const changed = () => events.emit('change');

  const batches: Batch[] = [];
  const transactions: unknown[] = [];
  const tokenRequests: TokenRequestRecord[] = [];
  const edgeRequests: EdgeRequestRecord[] = [];
  const issuedTokens: IssuedToken[] = [];
  const tokenIndex = new Map<string, IssuedToken>();
  let bytes = 0;
  let tokenSeq = 0;
  let edgeSeq = 0;
  let batchSeq = 0;
  let closed = false;

  let authMode = parseMode('ok');
  let edgeMode = parseMode('ok');
  const timers = new Set<NodeJS.Timeout>();

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** The mode a newly arrived request is handled in; consumes one use of a counted mode. */
  function take(which: 'auth' | 'edge'): ModeState {
    const m = which === 'auth' ? authMode : edgeMode;
    if (m.remaining !== Infinity) {
      m.remaining -= 1;
      if (m.remaining <= 0) {
        if (which === 'auth') authMode = parseMode('ok');
        else edgeMode = parseMode('ok');
      }
    }
    return m;
  }

  // ---------------------------------------------------------------- token endpoint (library-based)
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer, { token: authPath });
  const ctx = new WeakMap<http.IncomingMessage, { rec: TokenRequestRecord; res: http.ServerResponse; mode: ModeState }>();

  /** Client credentials from HTTP Basic (preferred) or the form body (RFC 6749 §2.3.1). */
  function credentialsOf(req: http.IncomingMessage & { body?: Record<string, unknown> }): {
    id: unknown; secret: unknown; method: 'client_secret_post' | 'client_secret_basic' | 'none';
  } {
    const basic = parseBasic(req.headers.authorization);
    if (basic) return { id: basic.id, secret: basic.secret, method: 'client_secret_basic' };
    const params = req.body ?? {};
    if (params.client_id !== undefined || params.client_secret !== undefined) {
      return { id: params.client_id, secret: params.client_secret, method: 'client_secret_post' };
    }
    return { id: undefined, secret: undefined, method: 'none' };
  }

  service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }, req: http.IncomingMessage) => {
    const t = Math.floor(now() / 1000);
    token.payload.iat = t;
    token.payload.nbf = t;
    token.payload.exp = t + tokenLifetime;
    token.payload.jti = randomUUID();
    const id = credentialsOf(req as http.IncomingMessage & { body?: Record<string, unknown> }).id;
    if (typeof id === 'string') token.payload.client_id = id;
  });

  service.on('beforeResponse', (response: { statusCode: number; body: Record<string, unknown> | '' },
    req: http.IncomingMessage & { body?: Record<string, unknown> }) => {
    const c = ctx.get(req);
    if (!c) return;
    const { rec, res, mode } = c;
    const params = req.body ?? {};
    rec.params = { ...params };
    const { id, secret, method } = credentialsOf(req);
    rec.authMethod = method;
    if (typeof id === 'string') rec.clientId = id;
    const refuse = (status: number, error: string, reason: string) => {
      response.statusCode = status;
      response.body = { error, error_description: reason };
      rec.outcome = 'refused';
      rec.reason = reason;
      if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="cequence"');
    };
    if (params.grant_type !== 'client_credentials') {
      refuse(400, 'unsupported_grant_type', `grant_type ${String(params.grant_type)} is not client_credentials`);
    } else if (rec.authMethod === 'none') {
      refuse(401, 'invalid_client', 'no client credentials');
    } else if (id !== clientId || secret !== clientSecret) {
      refuse(401, 'invalid_client', id !== clientId ? 'unknown client_id' : 'wrong client_secret');
    } else if (typeof response.body === 'object' && typeof response.body.access_token === 'string') {
      const token = response.body.access_token;
      const issuedAt = now();
      const it: IssuedToken = { token, clientId, issuedAt, expiresAt: issuedAt + tokenLifetime * 1000, revoked: false };
      issuedTokens.push(it);
      tokenIndex.set(token, it);
      rec.outcome = 'issued';
      rec.token = token;
      const body: Record<string, unknown> = { access_token: token, token_type: 'Bearer' };
      const advertised = mode.opts.expiresIn === undefined ? tokenLifetime : mode.opts.expiresIn;
      if (advertised !== null) body.expires_in = advertised;
      response.body = body;
    }
  });

  const authServer = new LoopbackServer((req, res) => {
    void handleAuth(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'mock_error', error_description: String(err) }), 'application/json');
    });
  }, { tls: options.tls });

  async function handleAuth(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const mode = take('auth');
    const rec: TokenRequestRecord = {
      seq: ++tokenSeq,
      time: now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: headersOf(req),
      rawBody: Buffer.alloc(0),
      mode: describe(mode),
      outcome: 'pending',
    };
    const isTokenRequest = req.method === 'POST' && normalizePath(req.url ?? '/') === authPath;
    if (isTokenRequest) tokenRequests.push(rec);
    res.on('finish', () => {
      rec.status = res.statusCode;
      changed();
    });
    res.on('close', () => {
      if (!res.writableFinished && rec.outcome === 'pending') {
        rec.outcome = 'client-gone';
        changed();
      }
    });
    if (isTokenRequest) changed();

    if (mode.name === 'reset') {
      rec.outcome = 'reset';
      req.socket.destroy();
      changed();
      return;
    }
    if (mode.name === 'slow') {
      await delay(mode.opts.delayMs ?? 2000);
      if (closed || res.destroyed) return;
    }
    if (mode.name === 'ok' || mode.name === 'slow') {
      // Tap the raw bytes alongside the library's own reader (both listeners are attached in this
      // tick, before any data can flow).
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        rec.rawBody = Buffer.concat(chunks);
      });
      ctx.set(req, { rec, res, mode });
      res.on('finish', () => {
        if (rec.outcome === 'pending') {
          rec.outcome = res.statusCode < 300 ? 'issued' : 'refused';
          if (res.statusCode >= 300) rec.reason ??= `library answered ${res.statusCode}`;
        }
      });
      service.requestHandler(req, res);
      return;
    }
    const { body } = await readBody(req, 1024 * 1024);
    rec.rawBody = body;
    if (mode.name === 'hang') {
      rec.outcome = 'hang';
      changed();
      return;
    }
    rec.outcome = 'fault';
    if (mode.name === 'garbage') {
      send(res, mode.status, mode.opts.body ?? '<html><body>502 Bad Gateway (not JSON)</body></html>',
        mode.opts.contentType ?? 'application/json');
      return;
    }
    // status mode
    send(res, mode.status, mode.opts.body ?? JSON.stringify({ error: 'server_error', error_description: `mock auth mode ${mode.status}` }),
      mode.opts.contentType ?? 'application/json');
  }

  // ---------------------------------------------------------------- Edge collector
  function bearerOf(req: http.IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : undefined;
  }

  function isTokenValid(token: string): boolean {
    const it = tokenIndex.get(token);
    return !!it && !it.revoked && now() < it.expiresAt;
  }

  function tokenProblem(token: string | undefined, header: string | undefined): string | undefined {
    if (header === undefined) return 'missing Authorization header';
    if (token === undefined) return 'Authorization is not a Bearer token';
    const it = tokenIndex.get(token);
    if (!it) return 'unknown token';
    if (it.revoked) return 'revoked token';
    if (now() >= it.expiresAt) return 'expired token';
    return undefined;
  }

  const edgeServer = new LoopbackServer((req, res) => {
    void handleEdge(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(err) }), 'application/json');
    });
  }, { tls: options.tls });

  async function handleEdge(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const mode = take('edge');
    const rec: EdgeRequestRecord = {
      seq: ++edgeSeq,
      time: now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: headersOf(req),
      body: Buffer.alloc(0),
      bodyLength: 0,
      mode: describe(mode),
      outcome: 'pending',
    };
    edgeRequests.push(rec);
    res.on('finish', () => {
      rec.status = res.statusCode;
      changed();
    });
    res.on('close', () => {
      if (!res.writableFinished && rec.outcome === 'pending') {
        rec.outcome = 'client-gone';
        changed();
      }
    });
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
      await delay(mode.opts.delayMs ?? 2000);
      // A client that gave up (timeout) will retry: a batch it never saw acknowledged is not accepted.
      if (closed || res.destroyed || req.socket.destroyed) {
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
    if (authRequired) {
      const problem = tokenProblem(token, req.headers.authorization);
      if (problem) return reject(401, problem, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return reject(400, `body is not JSON: ${(e as Error).message}`);
    }
    // Cequence's wire format only (emulator/wire-format.ts): {"data": [transactions]}, each transaction
    // schema-valid with base64 headers and {length, data} bodies.
    const problem = batchProblem(json);
    if (problem) return reject(400, `not Cequence's batch format: ${problem}`);
    const txns = (json as { data: unknown[] }).data;
    rec.outcome = 'accepted';
    batches.push({ seq: ++batchSeq, time: now(), headers: rec.headers, raw: body, json, transactions: txns, token });
    for (const t of txns) transactions.push(t);
    bytes += body.length;
    send(res, mode.opts.status ?? 200, JSON.stringify({ received: txns.length }), 'application/json');
  }

  // ---------------------------------------------------------------- mode switching
  async function applyListening(server: LoopbackServer, m: ModeState): Promise<void> {
    if (m.name === 'down') {
      await server.down();
    } else if (!server.listening && !closed) {
      await server.up();
    }
  }

  await authServer.up(options.authPort ?? 0);
  await edgeServer.up(options.edgePort ?? 0);
  issuer.url = authServer.url;

  const api: MockCequence = {
    authUrl: authServer.url,
    edgeUrl: edgeServer.url,
    authPath,
    edgePath,
    clientId,
    clientSecret,
    batches,
    transactions,
    tokenRequests,
    edgeRequests,
    issuedTokens,
    get counts() {
      return {
        batches: batches.length,
        transactions: transactions.length,
        bytes,
        tokenRequests: tokenRequests.length,
        tokensIssued: issuedTokens.length,
        edgeRequests: edgeRequests.length,
      };
    },
    get edgeMode() {
      return describe(edgeMode);
    },
    get authMode() {
      return describe(authMode);
    },
    async setEdgeMode(mode, opts) {
      edgeMode = parseMode(mode, opts);
      if (edgeMode.name === 'garbage') throw new Error('garbage is an auth mode');
      await applyListening(edgeServer, edgeMode);
    },
    async setAuthMode(mode, opts) {
      authMode = parseMode(mode, opts);
      await applyListening(authServer, authMode);
    },
    setAuthRequired(required) {
      authRequired = required;
    },
    setTokenLifetime(seconds) {
      tokenLifetime = seconds;
    },
    revokeTokens() {
      for (const t of tokenIndex.values()) t.revoked = true;
      changed();
    },
    isTokenValid,
    waitForTransactions(n, timeoutMs = 5000) {
      return waitFor(events, () => transactions.length >= n && transactions.slice(), timeoutMs,
        () => `${n} transaction(s) at the mock Edge (have ${transactions.length})`);
    },
    waitForBatches(n, timeoutMs = 5000) {
      return waitFor(events, () => batches.length >= n && batches.slice(), timeoutMs,
        () => `${n} batch(es) at the mock Edge (have ${batches.length})`);
    },
    waitForTokenRequests(n, timeoutMs = 5000) {
      return waitFor(events, () => tokenRequests.length >= n && tokenRequests.slice(), timeoutMs,
        () => `${n} token request(s) (have ${tokenRequests.length})`);
    },
    waitForEdgeRequests(n, timeoutMs = 5000) {
      return waitFor(events, () => edgeRequests.length >= n && edgeRequests.slice(), timeoutMs,
        () => `${n} edge request(s) (have ${edgeRequests.length})`);
    },
    reset() {
      issuedTokens.length = 0;
      batches.length = 0;
      transactions.length = 0;
      tokenRequests.length = 0;
      edgeRequests.length = 0;
      bytes = 0;
      changed();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      events.emit('close');
      await Promise.all([authServer.down(), edgeServer.down()]);
    },
  };
  return api;
}

// ---------------------------------------------------------------- standalone
function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const mock = await startMockCequence({
    authPort: Number(argValue(args, '--auth-port') ?? 0),
    edgePort: Number(argValue(args, '--edge-port') ?? 0),
    clientId: argValue(args, '--client-id'),
    clientSecret: argValue(args, '--client-secret'),
    authPath: argValue(args, '--auth-path'),
    edgePath: argValue(args, '--edge-path'),
    authRequired: !args.includes('--no-auth'),
  });
  console.log(`mock Cequence auth: ${mock.authUrl}${mock.authPath} (client id ${mock.clientId})`);
  console.log(`mock Cequence edge: ${mock.edgeUrl}${mock.edgePath}`);
  let last = 0;
  const timer = setInterval(() => {
    const c = mock.counts;
    if (c.edgeRequests + c.tokenRequests !== last) {
      last = c.edgeRequests + c.tokenRequests;
      console.log(`tokens=${c.tokensIssued}/${c.tokenRequests} batches=${c.batches} transactions=${c.transactions} bytes=${c.bytes} edgeRequests=${c.edgeRequests}`);
    }
  }, 1000);
  const stop = () => {
    clearInterval(timer);
    void mock.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
