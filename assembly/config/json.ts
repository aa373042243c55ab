// A small JSON reader for the two documents the module reads: the policy configuration (config.ts,
// lists.ts) and the OAuth token answer (client/oauth.ts). It replaces assemblyscript-json and the
// standard library's strtod: only the tree those readers walk (strings, whole numbers, floats, bools,
// null, arrays, objects whose repeated key keeps the last value) and nothing to write JSON.
//
// Callers pass only documents that json-check.ts found well-formed (it also bounds nesting at 64), but
// the reader never traps on anything: past the end it reads as if the document ended there.
//
// Numbers: without '.', 'e' or 'E' (and not "-0") an Integer, accumulated as f64 and converted to i64
// (saturating) as assemblyscript-json did; otherwise a Float, its digits as one f64 scaled by one
// multiplication or division by a power of ten — correctly rounded for the decimals a configuration or
// an expires_in holds (at most 15 significant digits and a small exponent), close otherwise.
// Strings: UTF-8 decoded to AssemblyScript strings; \uXXXX gives that UTF-16 code unit (a pair gives
// its character).

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

  /** The document's top-level value (Null when there is none). */
  export function parse(bytes: Uint8Array): Value {
    const r = new Reader(bytes.dataStart, bytes.length);
    return r.value();
  }

  class Reader {
    pos: i32 = 0;
    constructor(private base: usize, private len: i32) {}

    @inline peek(): u32 {
      return this.pos < this.len ? <u32>load<u8>(this.base + <usize>this.pos) : 0;
    }

    skipWs(): void {
      while (this.pos < this.len) {
        const c = load<u8>(this.base + <usize>this.pos);
        if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
        this.pos++;
      }
    }

    value(): Value {
      this.skipWs();
      const c = this.peek();
      if (c == 0x7b) return this.object();
      if (c == 0x5b) return this.array();
      if (c == 0x22) return new Str(this.string());
      if (c == 0x74) { this.pos += 4; return new Bool(true); }
      if (c == 0x66) { this.pos += 5; return new Bool(false); }
      if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
      this.pos++;
      return new Value(NULL);
    }

    object(): Obj {
      const o = new Obj();
      this.pos++; // {
      this.skipWs();
      if (this.peek() == 0x7d) { this.pos++; return o; }
      while (this.pos < this.len) {
        this.skipWs();
        const key = this.string();
        this.skipWs();
        this.pos++; // :
        o.set(key, this.value());
        this.skipWs();
        const c = this.peek();
        this.pos++;
        if (c != 0x2c) break; // } (or the end)
      }
      return o;
    }

    array(): Arr {
      const a = new Arr();
      this.pos++; // [
      this.skipWs();
      if (this.peek() == 0x5d) { this.pos++; return a; }
      while (this.pos < this.len) {
        a.items.push(this.value());
        this.skipWs();
        const c = this.peek();
        this.pos++;
        if (c != 0x2c) break; // ] (or the end)
      }
      return a;
    }

    /** A string starting at its opening quote; leaves pos after the closing one. */
    string(): string {
      this.pos++; // "
      let out = "";
      let run = this.pos;
      while (this.pos < this.len) {
        const c = load<u8>(this.base + <usize>this.pos);
        if (c == 0x22) break;
        if (c != 0x5c) { this.pos++; continue; }
        out += String.UTF8.decodeUnsafe(this.base + <usize>run, <usize>(this.pos - run));
        this.pos++;
        const e = this.peek();
        this.pos++;
        let u: i32 = e;
        if (e == 0x62) u = 0x08;
        else if (e == 0x66) u = 0x0c;
        else if (e == 0x6e) u = 0x0a;
        else if (e == 0x72) u = 0x0d;
        else if (e == 0x74) u = 0x09;
        else if (e == 0x75) {
          u = 0;
          for (let k = 0; k < 4; k++) {
            const h = this.peek();
            this.pos++;
            u = (u << 4) | <i32>(h <= 0x39 ? h - 0x30 : (h | 0x20) - 0x57);
          }
          u &= 0xffff;
        }
        out += String.fromCharCode(u);
        run = this.pos;
      }
      const end = this.pos < this.len ? this.pos : this.len;
      out += String.UTF8.decodeUnsafe(this.base + <usize>run, <usize>(end - run));
      this.pos++; // "
      return out;
    }

    number(): Value {
      let neg = false;
      if (this.peek() == 0x2d) { neg = true; this.pos++; }
      let m: f64 = 0;
      let digits = 0;
      let scale: i32 = 0; // decimal exponent of the last digit in m
      let float = false;
      let c = this.peek();
      while (c >= 0x30 && c <= 0x39) { m = m * 10 + <f64>(c - 0x30); digits++; this.pos++; c = this.peek(); }
      if (c == 0x2e) {
        float = true;
        this.pos++;
        c = this.peek();
        while (c >= 0x30 && c <= 0x39) { m = m * 10 + <f64>(c - 0x30); scale--; this.pos++; c = this.peek(); }
      }
      if (c == 0x65 || c == 0x45) {
        float = true;
        this.pos++;
        c = this.peek();
        let eneg = false;
        if (c == 0x2b || c == 0x2d) { eneg = c == 0x2d; this.pos++; c = this.peek(); }
        let e: i32 = 0;
        while (c >= 0x30 && c <= 0x39) { if (e < 100000) e = e * 10 + <i32>(c - 0x30); this.pos++; c = this.peek(); }
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
