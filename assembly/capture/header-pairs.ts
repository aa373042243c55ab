// Reads a header map in the proxy-wasm pairs encoding directly, without building strings or the SDK's
// Headers arrays:  u32 count | count x (u32 name_len, u32 value_len) | name0 NUL value0 NUL name1 NUL ...
// (all integers little-endian). Pure. A malformed or short buffer never traps: only the entries that
// lie wholly inside the buffer are visible.

import { RawBytes } from "../raw-bytes";
import { Utf8, utf8Bytes, utf8Length } from "../literals";

export class HeaderPairs {
  /** Entries wholly inside the buffer. */
  count: i32 = 0;
  private base: usize = 0;
  private dataStart: usize = 0;

  // Cursor over the entries (see `next`).
  private index: i32 = -1;
  private dataPos: usize = 0;
  namePtr: usize = 0;
  nameLen: i32 = 0;
  valuePtr: usize = 0;
  valueLen: i32 = 0;

  constructor(buf: ArrayBuffer | null) {
    if (buf != null) this.scan(changetype<usize>(buf), buf.byteLength);
  }

  /** A view of pairs held in an unmanaged block (what streams hold); empty for null. */
  static of(raw: RawBytes | null): HeaderPairs {
    const h = new HeaderPairs(null);
    if (raw != null && raw.ptr != 0) h.scan(raw.ptr, raw.len);
    return h;
  }

  // Counts the entries that lie wholly inside the buffer: the size table must fit, then each entry's
  // bytes plus their two NULs.
  private scan(base: usize, len: i32): void {
    const size = <u64>len;
    if (size < 4) return;
    const declared = <u64>load<u32>(base);
    if (declared > (size - 4) / 8) return;
    const dataStart = 4 + declared * 8;
    let pos = dataStart;
    let n: i32 = 0;
    for (let i: u64 = 0; i < declared; i++) {
      const nl = <u64>load<u32>(base + <usize>(4 + i * 8));
      const vl = <u64>load<u32>(base + <usize>(8 + i * 8));
      const end = pos + nl + vl + 2;
      if (end > size) break;
      pos = end;
      n++;
    }
    this.base = base;
    this.count = n;
    this.dataStart = <usize>dataStart;
    this.rewind();
  }

  rewind(): void {
    this.index = -1;
    this.dataPos = this.dataStart;
  }

  /** Moves to the next entry (namePtr/nameLen/valuePtr/valueLen); false past the last one. */
  next(): bool {
    if (this.index + 1 >= this.count) return false;
    this.index++;
    const entry = this.base + 4 + (<usize>this.index << 3);
    const nl = load<u32>(entry);
    const vl = load<u32>(entry, 4);
    this.namePtr = this.base + this.dataPos;
    this.nameLen = <i32>nl;
    this.valuePtr = this.namePtr + <usize>nl + 1;
    this.valueLen = <i32>vl;
    this.dataPos += <usize>nl + <usize>vl + 2;
    return true;
  }

  /** The current entry's name starts with ':' (an HTTP/2-style pseudo-header such as :path). */
  get isPseudo(): bool {
    return this.nameLen > 0 && load<u8>(this.namePtr) == 0x3a;
  }

  /** The current entry's name is the bytes of `name` (header names arrive lowercase). */
  nameIs(name: Utf8): bool {
    const n = utf8Length(name);
    return n == this.nameLen && memory.compare(this.namePtr, utf8Bytes(name), <usize>n) == 0;
  }

  /** Entries that are not pseudo-headers (what the transaction lists as headers). */
  regularCount(): i32 {
    let n = 0;
    this.rewind();
    while (this.next()) if (!this.isPseudo) n++;
    this.rewind();
    return n;
  }

  /** Finds the first entry named `name`; leaves the cursor on it. False (cursor rewound) when absent. */
  find(name: Utf8): bool {
    this.rewind();
    while (this.next()) if (this.nameIs(name)) return true;
    this.rewind();
    return false;
  }

  /** The current entry's value as a string (debug lines and tests only: allocates). */
  valueString(): string {
    return String.UTF8.decodeUnsafe(this.valuePtr, <usize>this.valueLen);
  }

  nameString(): string {
    return String.UTF8.decodeUnsafe(this.namePtr, <usize>this.nameLen);
  }
}

/** A byte range inside some buffer (ptr == 0 and len == -1 when absent). */
export class Slice {
  ptr: usize = 0;
  len: i32 = -1;

  get present(): bool {
    return this.len >= 0;
  }

  set(ptr: usize, len: i32): void {
    this.ptr = ptr;
    this.len = len;
  }

  toString(): string {
    return this.len < 0 ? "" : String.UTF8.decodeUnsafe(this.ptr, <usize>this.len);
  }
}

/** Serialises name/value pairs into the pairs encoding (tests, and the emulator's counterpart). */
export function encodePairs(names: string[], values: string[]): ArrayBuffer {
  const n = names.length < values.length ? names.length : values.length;
  const ns = new Array<ArrayBuffer>(n);
  const vs = new Array<ArrayBuffer>(n);
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    ns[i] = String.UTF8.encode(names[i]);
    vs[i] = String.UTF8.encode(values[i]);
    size += ns[i].byteLength + vs[i].byteLength + 2;
  }
  return encodePairsBytes(ns, vs, size);
}

/** Same, from raw byte values (for bytes that are not valid UTF-8). */
export function encodePairsBytes(ns: ArrayBuffer[], vs: ArrayBuffer[], size: i32 = -1): ArrayBuffer {
  const n = ns.length < vs.length ? ns.length : vs.length;
  if (size < 0) {
    size = 4 + n * 8;
    for (let i = 0; i < n; i++) size += ns[i].byteLength + vs[i].byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, n);
  let pos: usize = 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const k = ns[i];
    const v = vs[i];
    store<u32>(base + 4 + <usize>i * 8, k.byteLength);
    store<u32>(base + 8 + <usize>i * 8, v.byteLength);
    memory.copy(base + pos, changetype<usize>(k), <usize>k.byteLength);
    pos += <usize>k.byteLength;
    store<u8>(base + pos, 0);
    pos++;
    memory.copy(base + pos, changetype<usize>(v), <usize>v.byteLength);
    pos += <usize>v.byteLength;
    store<u8>(base + pos, 0);
    pos++;
  }
  return out;
}
