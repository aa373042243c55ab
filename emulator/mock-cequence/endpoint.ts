// What the mock's token endpoint and Edge collector share: the mock's clock and change events,
// delays that close() cancels, and answering and recording a request.
import type http from 'node:http';

export interface MockEnv {
  /** The mock's clock in ms. */
  now(): number;
  /** Something recorded changed: wakes the waitFor* promises. */
  changed(): void;
  /** True once close() began: no listener comes back up, no slow answer goes out. */
  closed(): boolean;
  /** Resolves after `ms`; close() clears the timer (the promise then never resolves). */
  delay(ms: number): Promise<void>;
}

/** The path without query, without a trailing slash. */
export function normalizePath(p: string): string {
  const pathname = new URL(p, 'http://localhost').pathname;
  return pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
}

export function send(res: http.ServerResponse, status: number, body: string | Buffer, contentType: string,
  extra: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(buf.length), ...extra });
  res.end(buf);
}

/** Keeps a request's record current: its status once answered, `client-gone` if the client left first. */
export function recordAnswer(rec: { status?: number; outcome: string }, res: http.ServerResponse, changed: () => void): void {
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
}
