// The mock's OAuth2 client-credentials token endpoint, and the record of the tokens it issued
// that the Edge collector checks bearer tokens against.
//
// Built on the `oauth2-mock-server` library (OAuth2Service + OAuth2Issuer, which sign real RS256
// JWTs and serve discovery/JWKS). The library alone cannot do everything this mock needs, so it is
// wrapped:
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
//     in a LoopbackServer, which applies the fault modes before delegating;
//   - it keeps no record of what it issued: issued tokens and every token request are recorded here,
//     and the Edge collector validates bearer tokens against that record (not by JWT signature, so a
//     revoked or expired token is refused even though its signature is valid).
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';
import { LoopbackServer, headersOf, readBody, type LoopbackTls } from '../loopback-server.ts';
import { normalizePath, recordAnswer, send, type MockEnv } from './endpoint.ts';
import { describeMode, FaultSwitch, type AuthMode, type ModeState } from './faults.ts';

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

export interface TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds: number;
  /** Normalised (normalizePath). */
  authPath: string;
  tls?: LoopbackTls;
}

export interface TokenEndpoint {
  readonly server: LoopbackServer;
  readonly modes: FaultSwitch<AuthMode>;
  /** Every request that reached the port with POST to the token path, whatever the answer. */
  readonly tokenRequests: TokenRequestRecord[];
  readonly issuedTokens: IssuedToken[];
  /** Listen on `port` (0: any free port); the issuer names its URL from then on. */
  listen(port: number): Promise<void>;
  setTokenLifetime(seconds: number): void;
  revokeTokens(): void;
  isTokenValid(token: string): boolean;
  /** Why a request with this bearer token (from this Authorization header) must be refused; undefined if it is good. */
  tokenProblem(token: string | undefined, header: string | undefined): string | undefined;
  /** Forget the recorded requests and the issued-token list (issued tokens stay valid). */
  reset(): void;
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

export async function createTokenEndpoint(env: MockEnv, options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const { clientId, clientSecret, authPath } = options;
  const { now, changed } = env;
  let tokenLifetime = options.tokenLifetimeSeconds;
  const tokenRequests: TokenRequestRecord[] = [];
  const issuedTokens: IssuedToken[] = [];
  const tokenIndex = new Map<string, IssuedToken>();
  let seq = 0;

  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer, { token: authPath });
  const ctx = new WeakMap<http.IncomingMessage, { rec: TokenRequestRecord; res: http.ServerResponse; mode: ModeState }>();

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

  const server = new LoopbackServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'mock_error', error_description: String(err) }), 'application/json');
    });
  }, { tls: options.tls });
  const modes = new FaultSwitch<AuthMode>(server, env.closed, true);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const mode = modes.take();
    const rec: TokenRequestRecord = {
      seq: ++seq,
      time: now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: headersOf(req),
      rawBody: Buffer.alloc(0),
      mode: describeMode(mode),
      outcome: 'pending',
    };
    const isTokenRequest = req.method === 'POST' && normalizePath(req.url ?? '/') === authPath;
    if (isTokenRequest) tokenRequests.push(rec);
    recordAnswer(rec, res, changed);
    if (isTokenRequest) changed();

    if (mode.name === 'reset') {
      rec.outcome = 'reset';
      req.socket.destroy();
      changed();
      return;
    }
    if (mode.name === 'slow') {
      await env.delay(mode.opts.delayMs ?? 2000);
      if (env.closed() || res.destroyed) return;
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

  return {
    server,
    modes,
    tokenRequests,
    issuedTokens,
    async listen(port) {
      await server.up(port);
      issuer.url = server.url;
    },
    setTokenLifetime(seconds) {
      tokenLifetime = seconds;
    },
    revokeTokens() {
      for (const t of tokenIndex.values()) t.revoked = true;
      changed();
    },
    isTokenValid(token) {
      const it = tokenIndex.get(token);
      return !!it && !it.revoked && now() < it.expiresAt;
    },
    tokenProblem(token, header) {
      if (header === undefined) return 'missing Authorization header';
      if (token === undefined) return 'Authorization is not a Bearer token';
      const it = tokenIndex.get(token);
      if (!it) return 'unknown token';
      if (it.revoked) return 'revoked token';
      if (now() >= it.expiresAt) return 'expired token';
      return undefined;
    },
    reset() {
      issuedTokens.length = 0;
      tokenRequests.length = 0;
    },
  };
}
