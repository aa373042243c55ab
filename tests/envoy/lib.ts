// What the Envoy suites share on top of harness/: a subject started by a suite's first test (so a
// missing Envoy fails every test with the reason instead of cancelling them) and closed after the
// suite, and readings of Envoy's log.
import { after } from 'node:test';
import { startSubject, type Sent, type Subject, type SubjectOptions } from '../../harness/index.ts';

/** A lazily started Envoy subject for one suite: call the returned function in each test. */
export function envoySubject(o: Omit<SubjectOptions, 'host'>): () => Promise<Subject> {
  let p: Promise<Subject> | undefined;
  after(async () => {
    await p?.then((s) => s.close(), () => undefined);
  });
  return () => (p ??= startSubject({ host: 'envoy', ...o }));
}

/** The first value of a response header (names are lowercase in `Sent.headers`). */
export function header(r: Sent, name: string): string | undefined {
  return r.headers.find(([k]) => k === name)?.[1];
}

/** What the policy logged (`[cequence] …`), verbatim, between log marks `from` and `to` (see `mark`). */
export function cequenceLines(s: Subject, from = 0, to?: number): string[] {
  const lines = s.messages(from);
  const upTo = to === undefined ? lines.length : lines.length - s.messages(to).length;
  return lines.slice(0, upTo).filter((m) => m.startsWith('[cequence]'));
}

/** Envoy's own lines (not what a module logged) saying a wasm VM failed: a trap reads
 *  `[error][wasm] … Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable`. */
export function wasmFailures(s: Subject, from = 0): string[] {
  return s.envoy!.entries.slice(from)
    .filter((e) => e.source === 'envoy' && !e.wasm)
    .filter((e) => e.level === 'critical' || (e.logger === 'wasm' && (e.level === 'error' || /failed|RuntimeError|VM/i.test(e.message))))
    .map((e) => e.line);
}

/** The transactions the mock Edge received whose request path is `path`. */
export function transactionsFor(s: Subject, pathAndQuery: string): any[] {
  return (s.mock.transactions as any[]).filter((t) => t.request['uri-query-fragment'] === pathAndQuery);
}

export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
