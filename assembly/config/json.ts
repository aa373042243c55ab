// A small strict JSON reader for the two documents the module reads: the policy configuration (config.ts,
// lists.ts) and the OAuth token answer (client/oauth.ts). Only the tree those readers walk (strings, whole
// numbers, floats, bools, null, arrays, objects whose repeated key keeps the last value), nothing to write.
//
// Well-formedness is checked in the same pass (RFC 8259, nesting at most 64 deep, the \f escape refused):
// a document that is not well formed gives no value but a short reason with the byte offset. It never
// traps, whatever the bytes: AssemblyScript cannot catch, and both documents come from outside.
//
// Numbers: without '.', 'e' or 'E' (and not "-0") an Integer, accumulated as f64 and converted to i64
// (saturating); otherwise a Float, its digits as one f64 scaled by one multiplication or division by a
// power of ten — correctly rounded for the decimals a configuration or an expires_in holds (at most 15
// significant digits and a small exponent), close otherwise.
// Strings: UTF-8 decoded to AssemblyScript strings; \uXXXX gives that UTF-16 code unit (a pair gives
// its character).
import { msg, utf8, Utf8, utf8Bytes, utf8Length } from "../literals";

const MAX_DEPTH: i32 = 64;

/** "" when `bytes` is well-formed JSON, otherwise the reason and its byte offset. */
export function checkJson(bytes: Uint8Array): string {
  return JSON.parse(bytes).error;
}

export namespace JSON {
  const STR: i32 = 1;
  const INT: i32 = 2;
  const FLOAT: i32 = 3;
  const BOOL: i32 = 4;
  const NULL: i32 = 5;
  const ARR: i32 = 6;
  const OBJ: i32 = 7;

  export class Value {
    constructor(readonly kind: i32) {}
    get isString(): bool { return this.kind == STR; }
    get isInteger(): bool { return this.kind == INT; }
    get isFloat(): bool { return this.kind == FLOAT; }
    get isBool(): bool { return this.kind == BOOL; }
    get isNull(): bool { return this.kind == NULL; }
    get isArr(): bool { return this.kind == ARR; }
    get isObj(): bool { return this.kind == OBJ; }
  }

  export class Str extends Value {
    constructor(readonly s: string) { super(STR); }
    valueOf(): string { return this.s; }
  }

  export class Integer extends Value {
    constructor(readonly v: i64) { super(INT); }
    valueOf(): i64 { return this.v; }
  }

  export class Float extends Value {
    constructor(readonly v: f64) { super(FLOAT); }
    valueOf(): f64 { return this.v; }
  }

  export class Bool extends Value {
    constructor(readonly v: bool) { super(BOOL); }
    valueOf(): bool { return this.v; }
  }

  export class Arr extends Value {
    readonly items: Value[] = [];
    constructor() { super(ARR); }
    valueOf(): Value[] { return this.items; }
  }

  export class Obj extends Value {
    /** Keys in order of first appearance, each once. */
    readonly keys: string[] = [];
    private values: Value[] = [];
    constructor() { super(OBJ); }

    get(key: string): Value | null {
      for (let i = 0; i < this.keys.length; i++) if (unchecked(this.keys[i]) == key) return unchecked(this.values[i]);
      return null;
    }

    set(key: string, v: Value): void {
      for (let i = 0; i < this.keys.length; i++) {
        if (unchecked(this.keys[i]) == key) {
          unchecked((this.values[i] = v));
          return;
        }
      }
      this.keys.push(key);
      this.values.push(v);
    }
  }

  /** A parsed document: its value, or null and the reason when the bytes are not well-formed JSON. */
  export class Parsed {
    constructor(readonly value: Value | null, readonly error: string) {}
  }

  export function parse(bytes: Uint8Array): Parsed {
    const r = new Reader(bytes.dataStart, bytes.length);
    r.skipWs();
    if (r.pos >= r.len) return new Parsed(null, msg("empty document"));
    const v = r.value(0);
    if (v == null) return new Parsed(null, r.error);
    r.skipWs();
    if (r.pos != r.len) return new Parsed(null, msg("unexpected data after the JSON value at byte ") + r.pos.toString());
    return new Parsed(v, "");
  }

  @inline function isDigit(c: i32): bool {
    return c >= 0x30 && c <= 0x39;
  }

  class Reader {
    pos: i32 = 0;
    error: string = "";
    constructor(private base: usize, readonly len: i32) {}

    /** The byte at pos, or -1 past the end. */
    @inline peek(): i32 {
      return this.pos < this.len ? <i32>load<u8>(this.base + <usize>this.pos) : -1;
    }

    /** Records the first problem (with where it was met); the value being read is then null. */
    fail(what: string): Value | null {
      if (this.error.length == 0) this.error = what + msg(" at byte ") + this.pos.toString();
      return null;
    }

    skipWs(): void {
      while (this.pos < this.len) {
        const c = load<u8>(this.base + <usize>this.pos);
        if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
        this.pos++;
      }
    }

    value(depth: i32): Value | null {
      if (depth > MAX_DEPTH) return this.fail(msg("nesting too deep"));
      const c = this.peek();
      if (c == 0x7b) return this.object(depth + 1);
      if (c == 0x5b) return this.array(depth + 1);
      if (c == 0x22) {
        const s = this.string();
        return s != null ? new Str(s) : null;
      }
      if (c == 0x74) return this.literal(utf8("true")) ? new Bool(true) : null;
      if (c == 0x66) return this.literal(utf8("false")) ? new Bool(false) : null;
      if (c == 0x6e) return this.literal(utf8("null")) ? new Value(NULL) : null;
      if (c == 0x2d || isDigit(c)) return this.number();
      return this.fail(c < 0 ? msg("unexpected end of input") : msg("unexpected character"));
    }

    /** Reads the bytes of `word`; false (the problem recorded) at the first that differs. */
    literal(word: Utf8): bool {
      const n = utf8Length(word);
      for (let i = 0; i < n; i++) {
        if (this.peek() != <i32>load<u8>(utf8Bytes(word) + <usize>i)) {
          this.fail(msg("invalid literal"));
          return false;
        }
        this.pos++;
      }
      return true;
    }

    object(depth: i32): Value | null {
      const o = new Obj();
      this.pos++; // {
      this.skipWs();
      if (this.peek() == 0x7d) { this.pos++; return o; }
      while (true) {
        this.skipWs();
        if (this.peek() != 0x22) return this.fail(msg("expected a quoted key"));
        const key = this.string();
        if (key == null) return null;
        this.skipWs();
        if (this.peek() != 0x3a) return this.fail(msg("expected ':'"));
        this.pos++;
        this.skipWs();
        const v = this.value(depth);
        if (v == null) return null;
        o.set(key, v);
        this.skipWs();
        const c = this.peek();
        if (c == 0x2c) { this.pos++; continue; }
        if (c == 0x7d) { this.pos++; return o; }
        return this.fail(msg("expected ',' or '}'"));
      }
    }

    array(depth: i32): Value | null {
      const a = new Arr();
      this.pos++; // [
      this.skipWs();
      if (this.peek() == 0x5d) { this.pos++; return a; }
      while (true) {
        this.skipWs();
        const v = this.value(depth);
        if (v == null) return null;
        a.items.push(v);
        this.skipWs();
        const c = this.peek();
        if (c == 0x2c) { this.pos++; continue; }
        if (c == 0x5d) { this.pos++; return a; }
        return this.fail(msg("expected ',' or ']'"));
      }
    }

    /** A string starting at its opening quote; leaves pos after the closing one. Null when ill-formed. */
    string(): string | null {
      this.pos++; // "
      let out = "";
      let run = this.pos;
      while (true) {
        const c = this.peek();
        if (c < 0) { this.fail(msg("unterminated string")); return null; }
        if (c < 0x20) { this.fail(msg("control character in string")); return null; }
        if (c == 0x22) break;
        this.pos++;
        if (c != 0x5c) continue;
        out += String.UTF8.decodeUnsafe(this.base + <usize>run, <usize>(this.pos - 1 - run));
        const e = this.peek();
        this.pos++;
        let u: i32 = e;
        if (e == 0x62) u = 0x08;
        else if (e == 0x6e) u = 0x0a;
        else if (e == 0x72) u = 0x0d;
        else if (e == 0x74) u = 0x09;
        else if (e == 0x75) {
          u = 0;
          for (let k = 0; k < 4; k++) {
            const h = this.peek();
            const l = h | 0x20; // a letter in lowercase
            const d = isDigit(h) ? h - 0x30 : l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
            if (d < 0) { this.fail(msg("invalid \\u escape")); return null; }
            this.pos++;
            u = (u << 4) | d;
          }
        } else if (e == 0x66) {
          // Refused since the first parser, which had no \f: configurations that passed stay the same.
          this.fail(msg("unsupported \\f escape"));
          return null;
        } else if (e != 0x22 && e != 0x5c && e != 0x2f) {
          this.fail(msg("invalid escape"));
          return null;
        }
        out += String.fromCharCode(u);
        run = this.pos;
      }
      out += String.UTF8.decodeUnsafe(this.base + <usize>run, <usize>(this.pos - run));
      this.pos++; // "
      return out;
    }

    number(): Value | null {
      let neg = false;
      if (this.peek() == 0x2d) { neg = true; this.pos++; }
      let m: f64 = 0;
      let digits = 0;
      let scale: i32 = 0; // decimal exponent of the last digit in m
      let float = false;
      let c = this.peek();
      if (c == 0x30) {
        digits = 1;
        this.pos++;
        c = this.peek();
      } else if (c >= 0x31 && c <= 0x39) {
        while (isDigit(c)) { m = m * 10 + <f64>(c - 0x30); digits++; this.pos++; c = this.peek(); }
      } else {
        return this.fail(msg("invalid number"));
      }
      if (c == 0x2e) {
        float = true;
        this.pos++;
        c = this.peek();
        if (!isDigit(c)) return this.fail(msg("invalid number"));
        while (isDigit(c)) { m = m * 10 + <f64>(c - 0x30); scale--; this.pos++; c = this.peek(); }
      }
      if (c == 0x65 || c == 0x45) {
        float = true;
        this.pos++;
        c = this.peek();
        let eneg = false;
        if (c == 0x2b || c == 0x2d) { eneg = c == 0x2d; this.pos++; c = this.peek(); }
        if (!isDigit(c)) return this.fail(msg("invalid number"));
        let e: i32 = 0;
        while (isDigit(c)) { if (e < 100000) e = e * 10 + (c - 0x30); this.pos++; c = this.peek(); }
        scale += eneg ? -e : e;
      }
      if (!float && !(neg && m == 0 && digits > 0)) return new Integer(<i64>(neg ? -m : m));
      let v = m;
      if (v != 0) {
        if (scale > 0) v *= pow10(scale);
        else if (scale < 0) v = scale < -308 ? v / pow10(-scale - 308) / pow10(308) : v / pow10(-scale);
      }
      return new Float(neg ? -v : v);
    }
  }

  /** 10^n as f64 (exact up to 10^22), Infinity past 10^308. */
  function pow10(n: i32): f64 {
    let r: f64 = 1;
    let b: f64 = 10;
    while (n > 0) {
      if (n & 1) r *= b;
      b *= b;
      n >>= 1;
    }
    return r;
  }
}
