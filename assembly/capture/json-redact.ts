// cequenceRedactJsonFields: rewrites a captured JSON body so that the value of every object member whose
// key is listed, at any depth, becomes "[REDACTED]", whatever its type. Pure (no host calls).
//
// One pass over the body's chunks as captured (a key or a value may straddle two chunks), with no tree:
// in JSON a string followed by ':' is an object key, so the redactor only tokenises strings (decoding
// escapes in candidate keys, so "pass\u0077ord" matches "password") and, after a listed key's ':', skips
// the value — a string, a nested object or array (depth counted, strings inside honoured), or a scalar —
// writing "[REDACTED]" in its place. Valid JSON stays valid JSON. A value cut by the body limit is
// replaced all the same (nothing of it is written). Bytes that are not JSON are copied as they are, and
// a listed key is still recognised wherever a string is followed by ':'.
import { RawBytes } from "../raw-bytes";
import { ByteBuffer } from "./byte-buffer";
import { utf8 } from "../literals";

const REDACTED_VALUE = utf8("\"[REDACTED]\"");

// States of the tokeniser.
const OUT: i32 = 0; // between tokens
const STR: i32 = 1; // inside a string (a candidate key)
const AFTER_KEY: i32 = 2; // a listed key's string closed: waiting for ':'
const BEFORE_VALUE: i32 = 3; // after a listed key's ':': waiting for the value
const SKIP_STR: i32 = 4; // skipping a string value
const SKIP_NEST: i32 = 5; // skipping an object or array value
const SKIP_NEST_STR: i32 = 6; // a string inside it
const SKIP_SCALAR: i32 = 7; // skipping a number, true, false, null (or anything else)

@inline
function isWs(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

function hexVal(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x61 + 10);
  if (c >= 0x41 && c <= 0x46) return <i32>(c - 0x41 + 10);
  return -1;
}

export class JsonRedactor {
  private state: i32 = OUT;
  // String escapes: 0 none, 1 after '\', 2..5 reading the hex digits of \uXXXX.
  private esc: i32 = 0;
  private hex: u32 = 0;
  private highSurrogate: u32 = 0;
  private depth: i32 = 0;
  // The decoded bytes of the string being read, up to the longest listed key (+1 to tell "too long").
  private key: ArrayBuffer;
  private keyLen: i32 = 0;
  private readonly maxKey: i32;
  // lengthListed[n]: some listed key is n bytes long (most strings are rejected by length alone).
  private readonly lengthListed: StaticArray<bool>;
  /** Values replaced so far. */
  redacted: i32 = 0;

  constructor(private keys: ArrayBuffer[], private out: ByteBuffer) {
    let m = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i].byteLength > m) m = keys[i].byteLength;
    this.maxKey = m;
    this.key = new ArrayBuffer(m + 4);
    this.lengthListed = new StaticArray<bool>(m + 1);
    for (let i = 0; i < keys.length; i++) this.lengthListed[keys[i].byteLength] = true;
  }

  private keyByte(b: u32): void {
    if (this.keyLen <= this.maxKey) store<u8>(changetype<usize>(this.key) + <usize>this.keyLen, <u8>b);
    this.keyLen++;
  }

  private keyCodePoint(cp: u32): void {
    if (cp < 0x80) this.keyByte(cp);
    else if (cp < 0x800) {
      this.keyByte(0xc0 | (cp >> 6));
      this.keyByte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      this.keyByte(0xe0 | (cp >> 12));
      this.keyByte(0x80 | ((cp >> 6) & 0x3f));
      this.keyByte(0x80 | (cp & 0x3f));
    } else {
      this.keyByte(0xf0 | (cp >> 18));
      this.keyByte(0x80 | ((cp >> 12) & 0x3f));
      this.keyByte(0x80 | ((cp >> 6) & 0x3f));
      this.keyByte(0x80 | (cp & 0x3f));
    }
  }

  private keyListed(): bool {
    const n = this.keyLen;
    if (n > this.maxKey || !unchecked(this.lengthListed[n])) return false;
    const p = changetype<usize>(this.key);
    const first = n > 0 ? load<u8>(p) : 0;
    for (let i = 0; i < this.keys.length; i++) {
      const k = unchecked(this.keys[i]);
      const kp = changetype<usize>(k);
      if (k.byteLength == n && (n == 0 || load<u8>(kp) == first) && memory.compare(kp, p, <usize>n) == 0) return true;
    }
    return false;
  }

  /** A byte of a candidate key string (after the opening quote); false when the string ended here. */
  private stringByte(c: u32): bool {
    const e = this.esc;
    if (e == 0) {
      if (c == 0x22) return false;
      if (c == 0x5c) this.esc = 1;
      else this.keyByte(c);
      return true;
    }
    if (e == 1) {
      this.esc = 0;
      if (c == 0x75) {
        this.esc = 2;
        this.hex = 0;
      } else if (c == 0x6e) this.keyByte(0x0a);
      else if (c == 0x74) this.keyByte(0x09);
      else if (c == 0x72) this.keyByte(0x0d);
      else if (c == 0x62) this.keyByte(0x08);
      else if (c == 0x66) this.keyByte(0x0c);
      else this.keyByte(c); // \" \\ \/ (and anything else, leniently)
      return true;
    }
    // \uXXXX
    const h = hexVal(c);
    if (h < 0) {
      this.esc = 0; // not an escape after all: keep the byte and go on (lenient)
      if (c == 0x22) return false;
      this.keyByte(c);
      return true;
    }
    this.hex = (this.hex << 4) | <u32>h;
    if (++this.esc < 6) return true;
    this.esc = 0;
    const u = this.hex;
    if (u >= 0xd800 && u <= 0xdbff) {
      this.highSurrogate = u;
    } else if (u >= 0xdc00 && u <= 0xdfff && this.highSurrogate != 0) {
      this.keyCodePoint(0x10000 + ((this.highSurrogate - 0xd800) << 10) + (u - 0xdc00));
      this.highSurrogate = 0;
    } else {
      this.highSurrogate = 0;
      this.keyCodePoint(u);
    }
    return true;
  }

  /** Feeds the next `len` bytes of the body. */
  write(ptr: usize, len: i32): void {
    const out = this.out;
    let run: i32 = 0; // start of the pending run of bytes to copy unchanged
    let i: i32 = 0;
    while (i < len) {
      const s = this.state;
      if (s == OUT) {
        // Fast path: nothing matters between tokens but the next string.
        while (i < len && load<u8>(ptr + <usize>i) != 0x22) i++;
        if (i == len) break;
        i++;
        this.state = STR;
        this.esc = 0;
        this.keyLen = 0;
        this.highSurrogate = 0;
        continue;
      }
      if (s == STR) {
        // Fast path: plain bytes of the string go to the key buffer while it could still match.
        if (this.esc == 0) {
          let n = this.keyLen;
          const max = this.maxKey;
          const key = changetype<usize>(this.key);
          while (i < len) {
            const c = load<u8>(ptr + <usize>i);
            if (c == 0x22 || c == 0x5c) break;
            if (n <= max) store<u8>(key + <usize>n, c);
            n++;
            i++;
          }
          this.keyLen = n;
          if (i == len) break;
        }
        const c = <u32>load<u8>(ptr + <usize>i);
        i++;
        if (!this.stringByte(c)) this.state = this.keyListed() ? AFTER_KEY : OUT;
        continue;
      }
      const c = <u32>load<u8>(ptr + <usize>i);
      if (s == AFTER_KEY) {
        if (c == 0x3a) this.state = BEFORE_VALUE;
        else if (!isWs(c)) {
          this.state = OUT; // a listed word that is not a key (e.g. an array element): look at c again
          continue;
        }
      } else if (s == BEFORE_VALUE) {
        if (!isWs(c)) {
          // The value starts here: write everything before it, then the replacement, then skip it.
          out.writeBytes(ptr + <usize>run, i - run);
          out.writeUtf8(REDACTED_VALUE);
          this.redacted++;
          this.esc = 0;
          if (c == 0x22) this.state = SKIP_STR;
          else if (c == 0x7b || c == 0x5b) {
            this.state = SKIP_NEST;
            this.depth = 1;
          } else this.state = SKIP_SCALAR;
          i++;
          run = i;
          continue;
        }
      } else {
        // Skipping a value: nothing is copied until it ends.
        if (s == SKIP_SCALAR) {
          if (c == 0x2c || c == 0x7d || c == 0x5d || isWs(c)) {
            this.state = OUT;
            run = i;
            continue; // the delimiter is copied as OUT
          }
        } else if (s == SKIP_STR || s == SKIP_NEST_STR) {
          if (this.esc != 0) this.esc = 0;
          else if (c == 0x5c) this.esc = 1;
          else if (c == 0x22) this.state = s == SKIP_STR ? OUT : SKIP_NEST;
        } else {
          // SKIP_NEST
          if (c == 0x22) {
            this.state = SKIP_NEST_STR;
            this.esc = 0;
          } else if (c == 0x7b || c == 0x5b) this.depth++;
          else if (c == 0x7d || c == 0x5d) {
            if (--this.depth == 0) this.state = OUT;
          }
        }
        i++;
        run = i;
        continue;
      }
      i++;
    }
    out.writeBytes(ptr + <usize>run, len - run);
  }
}

/** The body's chunks with the listed keys' values redacted, as one buffer; `count` says how many. */
export class RedactedBody {
  constructor(public bytes: ArrayBuffer, public count: i32) {}
}

export function redactJson(chunks: RawBytes[], keys: ArrayBuffer[], sizeHint: i32): RedactedBody {
  const out = new ByteBuffer(sizeHint + 16);
  const r = new JsonRedactor(keys, out);
  for (let i = 0; i < chunks.length; i++) {
    const c = unchecked(chunks[i]);
    r.write(c.ptr, c.len);
  }
  return new RedactedBody(out.toArrayBuffer(), r.redacted);
}
