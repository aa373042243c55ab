// Header "pairs" serialization used by proxy-wasm for header maps, http_call headers and
// send_local_response additional headers:
//   u32 count, then count * (u32 key_len, u32 value_len), then for every pair
//   key bytes, NUL, value bytes, NUL. All integers little-endian.
//
// Header names and values are kept as "byte strings" (one JS char per byte, i.e. latin1),
// which is what node:http hands out, so arbitrary header bytes round-trip unchanged.

export type Pair = [string, string];
export type Pairs = Pair[];

export function encodePairs(pairs: Pairs): Buffer {
  let size = 4 + pairs.length * 8;
  for (const [k, v] of pairs) size += k.length + 1 + v.length + 1;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(pairs.length, 0);
  let off = 4;
  for (const [k, v] of pairs) {
    out.writeUInt32LE(k.length, off);
    out.writeUInt32LE(v.length, off + 4);
    off += 8;
  }
  for (const [k, v] of pairs) {
    off += out.write(k, off, 'latin1');
    out[off++] = 0;
    off += out.write(v, off, 'latin1');
    out[off++] = 0;
  }
  return out;
}

/** Mirrors proxy-wasm-cpp-host toPairs(): malformed input gives an empty list. */
export function decodePairs(buf: Uint8Array): Pairs {
  if (buf.length < 4) return [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + n * 8 > buf.length) return [];
  const sizes: [number, number][] = [];
  let off = 4;
  for (let i = 0; i < n; i++) {
    sizes.push([dv.getUint32(off, true), dv.getUint32(off + 4, true)]);
    off += 8;
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Pairs = [];
  for (const [kl, vl] of sizes) {
    if (off + kl + 1 + vl + 1 > buf.length) return [];
    const k = b.toString('latin1', off, off + kl);
    off += kl + 1;
    const v = b.toString('latin1', off, off + vl);
    off += vl + 1;
    out.push([k, v]);
  }
  return out;
}

/** Convert a JS (UTF-16) string to a byte string holding its UTF-8 encoding. */
export function toByteString(s: string): string {
  // Pure ASCII fast path.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Convert a byte string back to a JS string, decoding UTF-8. */
export function fromByteString(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

export function normalizePairs(input: Pairs | Record<string, string | string[]> | undefined): Pairs {
  if (!input) return [];
  if (Array.isArray(input)) return input.map(([k, v]) => [toByteString(k).toLowerCase(), toByteString(String(v))]);
  const out: Pairs = [];
  for (const [k, v] of Object.entries(input)) {
    if (Array.isArray(v)) for (const x of v) out.push([toByteString(k).toLowerCase(), toByteString(String(x))]);
    else out.push([toByteString(k).toLowerCase(), toByteString(String(v))]);
  }
  return out;
}
