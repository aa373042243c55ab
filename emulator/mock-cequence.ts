// Mock Cequence UAP for local runs, tests, the demo and benchmarks: an OAuth2 client-credentials
// token endpoint (mock-cequence/token-endpoint.ts) and an Edge collector that checks bearer tokens
// against it (mock-cequence/edge-collector.ts), each on its own port on 127.0.0.1, with fault modes
// for both (mock-cequence/faults.ts). This file composes them.
//
// Run standalone:  npx tsx emulator/mock-cequence.ts [--auth-port N] [--edge-port N]
//   [--client-id ID] [--client-secret S] [--auth-path P] [--edge-path P] [--no-auth]

import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { waitFor, type LoopbackTls } from './loopback-server.ts';
import { createEdgeCollector, type Batch, type EdgeRequestRecord } from './mock-cequence/edge-collector.ts';
import { normalizePath, type MockEnv } from './mock-cequence/endpoint.ts';
import type { AuthMode, EdgeMode, ModeOptions } from './mock-cequence/faults.ts';
import { createTokenEndpoint, type IssuedToken, type TokenRequestRecord } from './mock-cequence/token-endpoint.ts';

export type { AuthMode, EdgeMode, FaultMode, ModeOptions } from './mock-cequence/faults.ts';
export type { IssuedToken, TokenRequestRecord } from './mock-cequence/token-endpoint.ts';
export type { Batch, EdgeRequestRecord } from './mock-cequence/edge-collector.ts';

export const DEFAULT_AUTH_PATH = '/auth/realms/cequence/protocol/openid-connect/token';
export const DEFAULT_EDGE_PATH = '/api-transactions';

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

export async function startMockCequence(options: MockCequenceOptions = {}): Promise<MockCequence> {
  const clientId = options.clientId ?? 'demo-client';
  const clientSecret = options.clientSecret ?? 'demo-secret';
  const authPath = normalizePath(options.authPath ?? DEFAULT_AUTH_PATH);
  const edgePath = normalizePath(options.edgePath ?? DEFAULT_EDGE_PATH);

  const events = new EventEmitter();
  events.setMaxListeners(0);
  const changed = () => events.emit('change');
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const env: MockEnv = {
    now: options.now ?? Date.now,
    changed,
    closed: () => closed,
    delay: (ms) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      }),
  };

  const auth = await createTokenEndpoint(env, {
    clientId, clientSecret, authPath, tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600, tls: options.tls,
  });
  const edge = createEdgeCollector(env, auth, {
    edgePath, authRequired: options.authRequired ?? true, maxBatchBytes: options.maxBatchBytes ?? 64 * 1024 * 1024, tls: options.tls,
  });
  await auth.listen(options.authPort ?? 0);
  await edge.server.up(options.edgePort ?? 0);

  const { batches, transactions, edgeRequests } = edge;
  const { tokenRequests, issuedTokens } = auth;
  return {
    authUrl: auth.server.url,
    edgeUrl: edge.server.url,
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
        bytes: edge.bytes,
        tokenRequests: tokenRequests.length,
        tokensIssued: issuedTokens.length,
        edgeRequests: edgeRequests.length,
      };
    },
    get edgeMode() {
      return edge.modes.description;
    },
    get authMode() {
      return auth.modes.description;
    },
    setEdgeMode: (mode, opts) => edge.modes.set(mode, opts),
    setAuthMode: (mode, opts) => auth.modes.set(mode, opts),
    setAuthRequired(required) {
      edge.authRequired = required;
    },
    setTokenLifetime: (seconds) => auth.setTokenLifetime(seconds),
    revokeTokens: () => auth.revokeTokens(),
    isTokenValid: (token) => auth.isTokenValid(token),
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
      auth.reset();
      edge.reset();
      changed();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      events.emit('close');
      await Promise.all([auth.server.down(), edge.server.down()]);
    },
  };
}

// ---- standalone (the command line in the opening comment)
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
