// Strict RFC 8259 well-formedness check over UTF-8 bytes. assemblyscript-json aborts (traps the VM) on
// malformed input, and AssemblyScript cannot catch, so every configuration is checked here first.
// Returns "" when well formed, otherwise a short reason with the byte offset.
import { msg } from "../literals";

const MAX_DEPTH: i32 = 64;

export function checkJson(bytes: Uint8Array): string {
  const c = new JsonChecker(bytes);
  c.skipWs();
  if (c.pos >= bytes.length) return msg("empty document");
  if (!c.value(0)) return c.error;
  c.skipWs();
  if (c.pos != bytes.length) return msg("unexpected data after the JSON value at byte ") + c.pos.toString();
  return "";
}

class JsonChecker {
  pos: i32 = 0;
  error: string = "";
  constructor(public b: Uint8Array) {}

  fail(what: string): bool {
    if (this.error.length == 0) this.error = what + msg(" at byte ") + this.pos.toString();
    return false;
  }

  peek(): i32 {
    return this.pos < this.b.length ? <i32>unchecked(this.b[this.pos]) : -1;
  }

  skipWs(): void {
    while (this.pos < this.b.length) {
      const ch = <i32>unchecked(this.b[this.pos]);
      if (ch != 0x20 && ch != 0x09 && ch != 0x0a && ch != 0x0d) break;
      this.pos++;
    }
  }

  value(depth: i32): bool {
    if (depth > MAX_DEPTH) return this.fail(msg("nesting too deep"));
    const ch = this.peek();
    if (ch == 0x7b) return this.object(depth + 1);
    if (ch == 0x5b) return this.array(depth + 1);
    if (ch == 0x22) return this.string();
    if (ch == 0x74) return this.literal(msg("true"));
    if (ch == 0x66) return this.literal(msg("false"));
    if (ch == 0x6e) return this.literal(msg("null"));
    if (ch == 0x2d || (ch >= 0x30 && ch <= 0x39)) return this.number();
    return this.fail(ch < 0 ? msg("unexpected end of input") : msg("unexpected character"));
  }

  literal(word: string): bool {
    for (let i = 0; i < word.length; i++) {
      if (this.peek() != word.charCodeAt(i)) return this.fail(msg("invalid literal"));
      this.pos++;
    }
    return true;
  }

  object(depth: i32): bool {
    this.pos++; // {
    this.skipWs();
    if (this.peek() == 0x7d) { this.pos++; return true; }
    while (true) {
      this.skipWs();
      if (this.peek() != 0x22) return this.fail(msg("expected a quoted key"));
      if (!this.string()) return false;
      this.skipWs();
      if (this.peek() != 0x3a) return this.fail(msg("expected ':'"));
      this.pos++;
      this.skipWs();
      if (!this.value(depth)) return false;
      this.skipWs();
      const ch = this.peek();
      if (ch == 0x2c) { this.pos++; continue; }
      if (ch == 0x7d) { this.pos++; return true; }
      return this.fail(msg("expected ',' or '}'"));
    }
  }

  array(depth: i32): bool {
    this.pos++; // [
    this.skipWs();
    if (this.peek() == 0x5d) { this.pos++; return true; }
    while (true) {
      this.skipWs();
      if (!this.value(depth)) return false;
      this.skipWs();
      const ch = this.peek();
      if (ch == 0x2c) { this.pos++; continue; }
      if (ch == 0x5d) { this.pos++; return true; }
      return this.fail(msg("expected ',' or ']'"));
    }
  }

  string(): bool {
    this.pos++; // opening quote
    while (true) {
      const ch = this.peek();
      if (ch < 0) return this.fail(msg("unterminated string"));
      if (ch < 0x20) return this.fail(msg("control character in string"));
      this.pos++;
      if (ch == 0x22) return true;
      if (ch == 0x5c) {
        const e = this.peek();
        this.pos++;
        if (e == 0x75) {
          for (let i = 0; i < 4; i++) {
            const h = this.peek();
            const isHex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
            if (!isHex) return this.fail(msg("invalid \\u escape"));
            this.pos++;
          }
        } else if (e == 0x66) {
          // assemblyscript-json has no \f escape and would abort: refuse it here.
          return this.fail(msg("unsupported \\f escape"));
        } else if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x62 && e != 0x6e && e != 0x72 && e != 0x74) {
          return this.fail(msg("invalid escape"));
        }
      }
    }
  }

  number(): bool {
    if (this.peek() == 0x2d) this.pos++;
    let ch = this.peek();
    if (ch == 0x30) {
      this.pos++;
    } else if (ch >= 0x31 && ch <= 0x39) {
      while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    } else {
      return this.fail(msg("invalid number"));
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!(this.peek() >= 0x30 && this.peek() <= 0x39)) return this.fail(msg("invalid number"));
      while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    }
    ch = this.peek();
    if (ch == 0x65 || ch == 0x45) {
      this.pos++;
      ch = this.peek();
      if (ch == 0x2b || ch == 0x2d) this.pos++;
      if (!(this.peek() >= 0x30 && this.peek() <= 0x39)) return this.fail(msg("invalid number"));
      while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    }
    return true;
  }
}
