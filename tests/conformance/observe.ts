// Turning what a host showed into comparable records: the probe's log lines after a marker, header
// pairs with run-specific values (ports, dates, ids) replaced by placeholders, property values decoded.
import type { RunningHost, WasmLine } from './hosts.ts';

export type Pairs = [string, string][];

/** Placeholders for values that differ between runs but not between hosts. */
export function normPairs(pairs: Pairs, listenerPort?: number): Pairs {
  return pairs.map(([k, v]): [string, string] => {
    if (k === 'date') return [k, '<date>'];
    if (k === 'x-request-id') return [k, /^[0-9a-f-]{36}$/.test(v) ? '<uuid>' : v];
    if (k === 'x-envoy-upstream-service-time') return [k, /^\d+$/.test(v) ? '<ms>' : v];
    if (k === 'x-envoy-expected-rq-timeout-ms') return [k, v];
    if (listenerPort !== undefined && (k === ':authority' || k === 'host')) return [k, v.replace(`:${listenerPort}`, ':<listener>')];
    return [k, v];
  });
}

/** Lines logged since `mark` (an index into wasmLines()). */
export function since(h: RunningHost, mark: number): WasmLine[] {
  return h.wasmLines().slice(mark);
}

export function messagesOf(lines: WasmLine[]): string[] {
  return lines.map((l) => l.message);
}

/** "<tag> k=v" lines of a probe pairs dump, as pairs (the "<tag> result=…" line excluded). */
export function dumped(msgs: string[], tag: string): Pairs {
  const out: Pairs = [];
  for (const m of msgs) {
    if (!m.startsWith(tag + ' ') || m.startsWith(tag + ' result=')) continue;
    const kv = m.slice(tag.length + 1);
    const i = kv.indexOf('=', kv.startsWith(':') ? 1 : 0);
    out.push([kv.slice(0, i), kv.slice(i + 1)]);
  }
  return out;
}

export function count(h: RunningHost, prefix: string): number {
  return h.wasmLines().filter((l) => l.message.startsWith(prefix)).length;
}

/** Wait until at least `n` lines start with `prefix`. */
export function awaitCount(h: RunningHost, prefix: string, n: number, timeoutMs = 10000): Promise<void> {
  return h.waitFor((ls) => ls.filter((l) => l.message.startsWith(prefix)).length >= n, `${n} × "${prefix}"`, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Decode a probe property line value: 8-byte little-endian integers as numbers, else text. */
export function decodeHex(hex: string | undefined): { len: number; text: string; int?: string } | undefined {
  if (hex === undefined) return undefined;
  const b = Buffer.from(hex, 'hex');
  return { len: b.length, text: b.toString('latin1'), ...(b.length === 8 ? { int: b.readBigInt64LE().toString() } : {}) };
}
