// A small HTTP/1.1 server on 127.0.0.1 that can be taken down and brought back on the same port,
// and that tracks its sockets so a test can close it without leaking connections.
// Used by the mock Cequence (auth and edge) and by the upstream helper. With `tls` it serves HTTPS
// (e.g. with emulator/test-ca.ts's certificate), as the real Cequence endpoints do.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export const LOOPBACK = '127.0.0.1';

export interface LoopbackTls {
  /** PEM server certificate (chain) and private key. */
  cert: string | Buffer;
  key: string | Buffer;
}

export class LoopbackServer {
  readonly server: http.Server;
  readonly tls: boolean;
  #port = 0;
  #sockets = new Set<Socket>();
  #up = false;

  constructor(handler: http.RequestListener, options: { tls?: LoopbackTls } = {}) {
    this.tls = !!options.tls;
    this.server = options.tls
      ? (https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) as unknown as http.Server)
      : http.createServer(handler);
    // Keep-alive connections from a gateway stay open a while; the mock must not be the one
    // that closes them first during a test (Envoy's default idle timeout is 1 h).
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    // A client that goes away mid-request must not crash the process.
    this.server.on('clientError', (_err, s: Socket) => {
      if (!s.destroyed) s.destroy();
    });
    // Same for a TLS handshake that fails (wrong CA, plain HTTP to the TLS port).
    this.server.on('tlsClientError', (_err: Error, s: Socket) => {
      if (!s.destroyed) s.destroy();
    });
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://${LOOPBACK}:${this.#port}`;
  }

  get listening(): boolean {
    return this.#up;
  }

  /** Listen on `port` (0: any free port). After the first call the same port is reused. */
  async up(port?: number): Promise<void> {
    if (this.#up) return;
    const p = port ?? this.#port;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        this.server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        this.server.off('error', onError);
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(p, LOOPBACK);
    });
    this.#port = (this.server.address() as AddressInfo).port;
    this.#up = true;
  }

  /** Stop listening (new connections are refused) and destroy every open connection. */
  async down(): Promise<void> {
    if (!this.#up) {
      this.destroySockets();
      return;
    }
    this.#up = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.destroySockets();
    await closed;
  }

  destroySockets(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  get openConnections(): number {
    return this.#sockets.size;
  }
}

/** Read a request body, keeping at most `limit` bytes; `overLimit` says whether more arrived. */
export function readBody(
  req: http.IncomingMessage,
  limit: number,
): Promise<{ body: Buffer; length: number; overLimit: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let length = 0;
    req.on('data', (c: Buffer) => {
      length += c.length;
      if (kept < limit) {
        const part = c.length <= limit - kept ? c : c.subarray(0, limit - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), length, overLimit: length > limit }));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

/** Plain-object copy of request headers (lower-case names; multi-valued set-cookie stays an array). */
export function headersOf(req: http.IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = v;
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolve when `pred()` holds, checking on every `emitter` 'change' event; reject after `timeoutMs`
 * with a message naming what was awaited and the last observed value.
 */
export function waitFor<T>(
  emitter: NodeJS.EventEmitter,
  pred: () => T | undefined | false,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = pred();
    if (first) return resolve(first);
    const onChange = () => {
      const v = pred();
      if (v) {
        cleanup();
        resolve(v);
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`closed while waiting for ${what()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off('change', onChange);
      emitter.off('close', onClose);
    };
    emitter.on('change', onChange);
    emitter.on('close', onClose);
  });
}
