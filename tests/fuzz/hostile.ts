// Hostile traffic for the fuzzer, from one seeded generator: header maps of arbitrary bytes (NUL, invalid
// UTF-8, lone surrogates as bytes, empty, very long, up to Envoy's limits), missing or malformed
// pseudo-headers, bodies of random bytes in random chunkings (0-byte chunks, end of stream on headers),
// trailers, and streams cut at any point. Every case is plain data, so a failing one can be written out
// and replayed.
import type { Pairs } from '../../emulator/host/index.ts';

/** xorshift128+ on two 32-bit halves: fast, seedable, the same sequence on every machine. */
export class Rng {
  private a: number;
  private b: number;
  constructor(seed: number) {
    this.a = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.b = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32(): number {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.b = x >>> 0;
    return (this.a + this.b) >>> 0;
  }
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      b[i] = v & 255;
      if (i + 1 < n) b[i + 1] = (v >>> 8) & 255;
      if (i + 2 < n) b[i + 2] = (v >>> 16) & 255;
      if (i + 3 < n) b[i + 3] = v >>> 24;
    }
    return b;
  }
}

/** Byte strings (one char per byte, as the emulator's header maps hold them). */
const NASTY = [
  '', '\0', 'a\0b', '\xff\xfe', '\xc0\xaf', '\xed\xa0\x80', '\xed\xbf\xbf', '\xf4\x90\x80\x80', '\x80', '\xe2\x82',
  '"', '\\', '\\u0000', '{"a":', ':', '::', ' ', '\t\r\n', 'é', '😀', '%00', '[REDACTED]', 'cq-body-truncated',
];

function str(r: Rng, max: number): string {
  const k = r.below(4);
  if (k === 0) return r.pick(NASTY);
  if (k === 1) return r.bytes(r.below(max + 1)).toString('latin1');
  const n = r.below(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + r.below(95));
  return s;
}

function name(r: Rng): string {
  const k = r.below(10);
  if (k < 5) return r.pick(['content-type', 'accept', 'x-multi', 'authorization', 'set-cookie', 'content-length', 'host', 'x-forwarded-for', 'transfer-encoding']);
  if (k < 7) return str(r, 24).toLowerCase();
  if (k === 7) return ':' + str(r, 8);
  if (k === 8) return 'x-' + 'h'.repeat(r.below(3000));
  return str(r, 64);
}

export interface HeaderSize {
  /** Total bytes of names and values to aim for. */
  bytes: number;
  /** Number of headers to aim for. */
  count: number;
}

/** What size a header block gets: mostly small, sometimes at or past Envoy's limits. */
export function headerSize(r: Rng, allowHuge: boolean): HeaderSize {
  const k = r.below(100);
  if (k < 80) return { bytes: r.below(2048), count: r.below(24) };
  if (k < 92) return { bytes: r.below(60 * 1024), count: r.below(200) }; // max_request_headers_kb default 60
  if (k < 97) return { bytes: r.below(60 * 1024), count: 10000 }; // max_headers_count raised to 10,000
  return allowHuge ? { bytes: r.below(8192 * 1024), count: r.below(64) } : { bytes: 60 * 1024, count: 100 }; // up to 8192 KiB
}

export function headerBlock(r: Rng, size: HeaderSize): Pairs {
  const out: Pairs = [];
  let left = size.bytes;
  for (let i = 0; i < size.count; i++) {
    const n = name(r);
    const per = size.count > 0 ? Math.max(0, Math.floor(left / (size.count - i))) : 0;
    const v = r.chance(0.3) ? r.bytes(r.below(per + 1)).toString('latin1') : str(r, Math.min(per, 256));
    out.push([n, v]);
    left -= n.length + v.length;
  }
  if (left > 0 && size.bytes > 4096) out.push(['x-big', 'v'.repeat(left)]);
  return out;
}

export function requestPseudo(r: Rng): Pairs {
  const out: Pairs = [];
  if (!r.chance(0.05)) out.push([':method', r.chance(0.8) ? r.pick(['GET', 'POST', 'PUT', 'OPTIONS', 'HEAD', 'PATCH']) : str(r, 16)]);
  if (!r.chance(0.05)) out.push([':path', r.chance(0.7) ? r.pick(['/', '/health', '/static/a.js', '/api/x?y=1#f', '/api/' + str(r, 40)]) : str(r, 300)]);
  if (!r.chance(0.1)) out.push([':authority', r.chance(0.8) ? 'api.example.com:8081' : str(r, 100)]);
  if (!r.chance(0.1)) out.push([':scheme', r.pick(['http', 'https', '', str(r, 10)])]);
  if (r.chance(0.05)) out.push([':method', 'DUPLICATE']);
  return out;
}

export function status(r: Rng): string {
  if (r.chance(0.75)) return String(r.pick([200, 201, 204, 301, 304, 400, 401, 404, 499, 500, 503, 100, 599]));
  return r.pick(['abc', '-1', '99999999999', '', '0', '1000', '20', ' 200', '200 ', '2\x0000', '４０４', str(r, 12)]);
}

/** A body's chunks: random bytes, random cut points, some empty chunks. */
export function chunks(r: Rng, allowBig: boolean): Buffer[] {
  const k = r.below(100);
  const total = k < 30 ? 0 : k < 80 ? r.below(2048) : k < 95 ? r.below(64 * 1024) : allowBig ? r.below(1024 * 1024 + 1) : r.below(40 * 1024);
  const body = r.chance(0.5) ? r.bytes(total) : Buffer.from(JSON.stringify({ password: 'p', n: r.u32(), s: str(r, 30) }).repeat(Math.ceil(total / 40) || 0).slice(0, total));
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    if (r.chance(0.1)) out.push(Buffer.alloc(0));
    const n = 1 + r.below(Math.min(body.length - pos, r.chance(0.5) ? 16 : 16384));
    out.push(body.subarray(pos, pos + n));
    pos += n;
  }
  if (r.chance(0.1)) out.push(Buffer.alloc(0));
  return out;
}

/** One stream's events, in the order the gateway would deliver them; `cutAt` ends the stream early. */
export type Event =
  | { kind: 'reqHeaders'; headers: Pairs; eos: boolean }
  | { kind: 'reqData'; chunk: Buffer; eos: boolean }
  | { kind: 'reqTrailers'; trailers: Pairs }
  | { kind: 'respHeaders'; headers: Pairs; eos: boolean }
  | { kind: 'respData'; chunk: Buffer; eos: boolean }
  | { kind: 'respTrailers'; trailers: Pairs };

export interface StreamCase {
  events: Event[];
  /** The stream ends (on_log, on_done, on_delete) after this many events: an abort when < events.length. */
  cutAt: number;
}

export function streamCase(r: Rng, allowHuge: boolean): StreamCase {
  const events: Event[] = [];
  const side = (headers: Pairs, kind: 'req' | 'resp') => {
    const body = chunks(r, allowHuge);
    const trailers = r.chance(0.1) ? headerBlock(r, { bytes: r.below(200), count: 1 + r.below(3) }) : undefined;
    const eosOnHeaders = body.length === 0 && !trailers;
    events.push({ kind: kind === 'req' ? 'reqHeaders' : 'respHeaders', headers, eos: eosOnHeaders } as Event);
    body.forEach((c, i) => events.push({ kind: kind === 'req' ? 'reqData' : 'respData', chunk: c, eos: i === body.length - 1 && !trailers } as Event));
    if (trailers) events.push({ kind: kind === 'req' ? 'reqTrailers' : 'respTrailers', trailers } as Event);
  };
  side([...requestPseudo(r), ...headerBlock(r, headerSize(r, allowHuge))], 'req');
  if (!r.chance(0.08)) {
    const sh: Pairs = r.chance(0.95) ? [[':status', status(r)]] : [];
    side([...sh, ...headerBlock(r, headerSize(r, false))], 'resp');
  }
  const cutAt = r.chance(0.15) ? r.below(events.length + 1) : events.length;
  return { events, cutAt };
}

/** A configuration mutated from a valid one: wrong types, truncated JSON, a BOM, huge numbers, unknown keys. */
export function mutatedConfig(r: Rng, valid: Record<string, unknown>): string {
  const c: Record<string, unknown> = { ...valid };
  const keys = Object.keys(c);
  const weird: unknown[] = [null, true, 0, -1, 1e300, -1e300, 99999999999999999999, '', 'x'.repeat(5000), [], {}, [1, 'a'], { a: { b: [] } }, 1.5, '100', '\u0000', '\ud800'];
  const n = 1 + r.below(4);
  for (let i = 0; i < n; i++) {
    const k = r.below(4);
    if (k === 0) c[r.pick(keys)] = r.pick(weird);
    else if (k === 1) delete c[r.pick(keys)];
    else if (k === 2) c[str(r, 20)] = r.pick(weird);
    else c[r.pick(['cequenceExcludePaths', 'cequenceRedactJsonFields', 'cequenceRedactHeaders', 'cequenceSkipBodyContentTypes', 'cequenceExcludeMethods'])] = r.chance(0.5) ? [str(r, 30), '/' + str(r, 10)] : r.pick(weird);
  }
  let text = JSON.stringify(c);
  const t = r.below(10);
  if (t === 0) text = text.slice(0, r.below(text.length));
  else if (t === 1) text = '\ufeff' + text;
  else if (t === 2) text = text.replace(/:/, ':::');
  else if (t === 3) text = '[' + text + ']';
  else if (t === 4) text = r.bytes(r.below(200)).toString('latin1');
  return text;
}
