// Checks written once against a Subject, for every suite and host: the client's Stats accounting
// (captured = sent + dropped + queued + in flight) summed over the gateway's workers, and no secret in
// any line the gateway wrote.
import assert from 'node:assert/strict';
import type { MockCequence } from '../emulator/mock-cequence.ts';
import type { Subject } from './subject.ts';

export interface Stats {
  captured: number; sent: number; dropped: number; queueFull: number; gaveUp: number; rejected: number;
  queued: number; inFlight: number;
}

const STATS = /^\[cequence\] Stats: captured=(\d+) sent=(\d+) dropped=(\d+) \(queue_full=(\d+) gave_up=(\d+) rejected=(\d+)\) queued=(\d+) \(\d+ bytes\) in_flight=(\d+) /;

export function parseStats(line: string): Stats | undefined {
  const m = STATS.exec(line);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return { captured: n[0], sent: n[1], dropped: n[2], queueFull: n[3], gaveUp: n[4], rejected: n[5], queued: n[6], inFlight: n[7] };
}

export const ZERO_STATS: Readonly<Stats> = { captured: 0, sent: 0, dropped: 0, queueFull: 0, gaveUp: 0, rejected: 0, queued: 0, inFlight: 0 };

/** Two roots' (or workers') counts added up. */
export function addStats(a: Stats, b: Stats): Stats {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof Stats)[]) out[k] += b[k];
  return out;
}

/**
 * The latest Stats line of every worker that has captured anything, summed; undefined until each of
 * them has written one since log index `from`. A root that never captured is left out: on Envoy the
 * main thread's two root contexts serve no streams and write all-zero Stats lines, and a worker that
 * got no connection adds nothing either. Callers name the total they expect (e.g. `captured === n`),
 * so a worker whose first capture is not in a Stats line yet cannot make the sum look complete.
 */
export function latestStats(subject: Subject, from = 0): Stats | undefined {
  const busy = new Set<number>();
  for (const l of subject.wasmLines()) if (parseStats(l.text)?.captured) busy.add(l.worker);
  const latest = new Map<number, Stats>();
  for (const l of subject.wasmLines(from)) {
    const s = parseStats(l.text);
    if (s) latest.set(l.worker, s);
  }
  if (busy.size === 0) return undefined;
  let total: Stats = { ...ZERO_STATS };
  for (const w of busy) {
    const s = latest.get(w);
    if (!s) return undefined;
    total = addStats(total, s);
  }
  return total;
}

export async function waitFor<T>(fn: () => T | undefined | false | null, what: string, timeoutMs = 20000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits for Stats lines (from every busy worker) written after now whose sum satisfies `ok`; checks the balance. */
export async function waitForStats(subject: Subject, ok: (s: Stats) => boolean, what: string, timeoutMs = 40000): Promise<Stats> {
  const since = subject.mark();
  const s = await waitFor(() => {
    const x = latestStats(subject, since);
    return x && ok(x) ? x : undefined;
  }, `[${subject.host}] Stats lines with ${what} (last: ${JSON.stringify(latestStats(subject, 0))})`, timeoutMs);
  assert.equal(s.captured, s.sent + s.dropped + s.queued + s.inFlight, `captured = sent + dropped + queued + in_flight: ${JSON.stringify(s)}`);
  assert.equal(s.dropped, s.queueFull + s.gaveUp + s.rejected, `dropped = queue_full + gave_up + rejected: ${JSON.stringify(s)}`);
  return s;
}

/**
 * No line the gateway wrote (its own and the module's, at every level it was started with) holds the
 * client secret, in clear or form/URL-encoded, or any access token the mock issued; a token's last 24
 * characters (its signature) are looked for too, in case a line was cut.
 */
export function assertNoSecrets(subject: Subject, extra: string[] = []): void {
  assertNoSecretsIn([...subject.logs(), ...subject.messages()], subject.mock, extra, subject.host);
}

/** The same check over any lines (e.g. a bare proxy-wasm host's), for the mock's secret and tokens. */
export function assertNoSecretsIn(lines: string[], mock: Pick<MockCequence, 'clientSecret' | 'issuedTokens'>, extra: string[] = [], where = 'host'): void {
  const secret = mock.clientSecret;
  const needles = new Set<string>([secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), ...extra]);
  for (const t of mock.issuedTokens) {
    needles.add(t.token);
    needles.add(t.token.slice(-24));
  }
  assert.ok(lines.length > 0, 'the gateway wrote lines');
  for (const n of needles) {
    if (n.length < 6) continue;
    for (const l of lines) assert.ok(!l.includes(n), `[${where}] a log line holds a secret or token: ${l.slice(0, 300)}`);
  }
}
