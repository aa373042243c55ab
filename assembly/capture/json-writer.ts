// A JSON writer over a growable UTF-8 byte buffer. Pure (no host calls).
//
// Escaping (RFC 8259): '"' -> \"  '\' -> \\  0x08 \b  0x09 \t  0x0A \n  0x0D \r, every other byte
// 0x00..0x1F (0x0C included: some parsers, assemblyscript-json among them, reject \f) and DEL (0x7F)
// -> \u00XX (lowercase hex). Well-formed multi-byte UTF-8 is copied as is; each maximal ill-formed
// subpart becomes the escape \ufffd (U+FFFD), so the output is always valid JSON. Only short protocol
// fields (method, path, host, header names, addresses) come here: header values and bodies travel
// base64 (transaction.ts), so nothing is lost.
import { ByteBuffer } from "./byte-buffer";
import { utf8SequenceAt } from "./utf8";
import { utf8 } from "../literals";

// For each byte < 0x80: 0 = copy as is, 1 = short escape (\" \\ \b \t \n \r), 2 = \u00XX.
const ESCAPE_CLASS = memory.data<u8>([
  2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 1, 2, 2, // 0x00
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, // 0x10
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x20  '"'
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x30
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x40
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, // 0x50  '\'
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x60
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, // 0x70  DEL
]);

const HEX = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);

@inline
function shortEscape(b: u32): u8 {
  if (b == 0x22) return 0x22; // "
  if (b == 0x5c) return 0x5c; // \
  if (b == 0x08) return 0x62; // b
  if (b == 0x09) return 0x74; // t
  if (b == 0x0a) return 0x6e; // n
  return 0x72; // r (0x0d)
}

export class JsonWriter {
  readonly out: ByteBuffer;
  // One flag per open object/array level: true once it holds a member (a comma goes before the next).
  private hasMember: bool[] = [];
  private afterKey: bool = false;

  constructor(initialCapacity: i32 = 1024, over: usize = 0) {
    this.out = new ByteBuffer(initialCapacity, over);
  }

  // ---- structure -------------------------------------------------------------------------------

  private beforeValue(): void {
    if (this.afterKey) {
      this.afterKey = false;
      return;
    }
    const depth = this.hasMember.length;
    if (depth > 0) {
      if (unchecked(this.hasMember[depth - 1])) this.out.writeByte(0x2c);
      else unchecked((this.hasMember[depth - 1] = true));
    }
  }

  beginObject(): void {
    this.beforeValue();
    this.out.writeByte(0x7b);
    this.hasMember.push(false);
  }

  endObject(): void {
    if (this.hasMember.length > 0) this.hasMember.pop();
    this.out.writeByte(0x7d);
  }

  beginArray(): void {
    this.beforeValue();
    this.out.writeByte(0x5b);
    this.hasMember.push(false);
  }

  endArray(): void {
    if (this.hasMember.length > 0) this.hasMember.pop();
    this.out.writeByte(0x5d);
  }

  /** An object key that is a plain ASCII constant needing no escape (all of the format's keys). */
  key(name: string): void {
    this.beforeValue();
    this.out.writeByte(0x22);
    this.out.writeAscii(name);
    this.out.writeByte(0x22);
    this.out.writeByte(0x3a);
    this.afterKey = true;
  }

  // ---- values --------------------------------------------------------------------------------------

  /** A string from a known-ASCII constant needing no escape. */
  asciiConst(s: string): void {
    this.beforeValue();
    this.out.writeByte(0x22);
    this.out.writeAscii(s);
    this.out.writeByte(0x22);
  }

  /** Any AssemblyScript string (UTF-16): encoded to UTF-8 and escaped; lone surrogates become \ufffd. */
  string(s: string): void {
    const bytes = String.UTF8.encode(s);
    this.stringLossy(changetype<usize>(bytes), bytes.byteLength);
  }

  /** A JSON string from raw bytes; ill-formed UTF-8 is replaced by \ufffd (see the file header). */
  stringLossy(ptr: usize, len: i32): void {
    this.beforeValue();
    this.out.writeByte(0x22);
    this.escapedLossy(ptr, len);
    this.out.writeByte(0x22);
  }

  /**
   * Pieces of one string value written across several calls (a body held as chunks):
   * openString(), then escapedLossy / a Base64Stream over `out`, then closeString().
   */
  openString(): void {
    this.beforeValue();
    this.out.writeByte(0x22);
  }

  closeString(): void {
    this.out.writeByte(0x22);
  }

  integer(v: i64): void {
    this.beforeValue();
    this.out.writeI64(v);
  }

  unsigned(v: u64): void {
    this.beforeValue();
    this.out.writeU64(v);
  }

  boolean(v: bool): void {
    this.beforeValue();
    if (v) this.out.writeAscii("true");
    else this.out.writeAscii("false");
  }

  nullValue(): void {
    this.beforeValue();
    this.out.writeAscii("null");
  }

  // ---- string contents -------------------------------------------------------------------------------

  /** Escaped contents (no quotes) of arbitrary bytes: ill-formed UTF-8 becomes \ufffd. */
  escapedLossy(ptr: usize, len: i32): void {
    const out = this.out;
    let run: i32 = 0;
    let i: i32 = 0;
    while (i < len) {
      const b = <u32>load<u8>(ptr + <usize>i);
      if (b < 0x80) {
        if (load<u8>(ESCAPE_CLASS + b) == 0) {
          i++;
          continue;
        }
        out.writeBytes(ptr + <usize>run, i - run);
        writeEscape(out, b);
        i++;
        run = i;
        continue;
      }
      const n = utf8SequenceAt(ptr, <usize>i, <usize>len);
      if (n > 0) {
        i += n;
        continue;
      }
      out.writeBytes(ptr + <usize>run, i - run);
      out.writeUtf8(utf8("\\ufffd"));
      i += -n;
      run = i;
    }
    out.writeBytes(ptr + <usize>run, i - run);
  }

  /** The document so far. */
  toArrayBuffer(): ArrayBuffer {
    return this.out.toArrayBuffer();
  }

  toString(): string {
    return this.out.toString();
  }
}

/** How many bytes escapedLossy writes for these bytes (the transaction's size is known before it is built). */
export function escapedLossyLength(ptr: usize, len: i32): i64 {
  let n: i64 = 0;
  let i: i32 = 0;
  while (i < len) {
    const b = <u32>load<u8>(ptr + <usize>i);
    if (b < 0x80) {
      const c = load<u8>(ESCAPE_CLASS + b);
      n += c == 0 ? 1 : c == 1 ? 2 : 6;
      i++;
      continue;
    }
    const k = utf8SequenceAt(ptr, <usize>i, <usize>len);
    if (k > 0) {
      n += <i64>k;
      i += k;
    } else {
      n += 6;
      i += -k;
    }
  }
  return n;
}

function writeEscape(out: ByteBuffer, b: u32): void {
  if (load<u8>(ESCAPE_CLASS + b) == 1) {
    const dst = out.reserve(2);
    store<u8>(dst, 0x5c);
    store<u8>(dst, shortEscape(b), 1);
    out.commit(2);
  } else {
    const dst = out.reserve(6);
    store<u8>(dst, 0x5c);
    store<u8>(dst, 0x75, 1);
    store<u8>(dst, 0x30, 2);
    store<u8>(dst, 0x30, 3);
    store<u8>(dst, load<u8>(HEX + (b >> 4)), 4);
    store<u8>(dst, load<u8>(HEX + (b & 15)), 5);
    out.commit(6);
  }
}
