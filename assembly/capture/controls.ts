// Capture controls: which requests are not captured at all (cequenceExcludePaths, cequenceExcludeMethods),
// which bodies are not read (cequenceSkipBodyContentTypes), which header values travel as [REDACTED]
// (cequenceRedactHeaders). Built once per configuration from the Config's lists; every matcher works on
// the bytes the host gave, without allocating. Pure (no host calls).
import { Config } from "../config/config";
import { utf8, utf8Bytes, utf8Length } from "../literals";

function bytesOf(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

@inline
function lower(c: u32): u32 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

function equalBytes(a: ArrayBuffer, ptr: usize, len: i32): bool {
  if (a.byteLength != len) return false;
  return memory.compare(changetype<usize>(a), ptr, <usize>len) == 0;
}

/** ASCII case-insensitive comparison of `len` bytes at `ptr` with `a` (already lowercase). */
function equalLowercase(a: ArrayBuffer, ptr: usize, len: i32): bool {
  return equalLowercaseBytes(changetype<usize>(a), a.byteLength, ptr, len);
}

/** The `aLen` bytes at `a` (lowercase) equal the `len` bytes at `ptr` compared case-insensitively. */
function equalLowercaseBytes(a: usize, aLen: i32, ptr: usize, len: i32): bool {
  if (aLen != len) return false;
  for (let i: i32 = 0; i < len; i++) {
    if (<u32>load<u8>(a + <usize>i) != lower(<u32>load<u8>(ptr + <usize>i))) return false;
  }
  return true;
}

function lowercaseBytes(s: string): ArrayBuffer {
  const b = bytesOf(s);
  const p = changetype<usize>(b);
  for (let i = 0; i < b.byteLength; i++) store<u8>(p + <usize>i, <u8>lower(<u32>load<u8>(p + <usize>i)));
  return b;
}

/** One cequenceExcludePaths entry: the whole path, or (trailing *) a prefix of it. */
class PathRule {
  constructor(public text: ArrayBuffer, public prefix: bool) {}
}

/** One cequenceSkipBodyContentTypes entry, lowercase: type/subtype, or (type/*) a whole type as "type/". */
class MediaRule {
  constructor(public text: ArrayBuffer, public wholeType: bool) {}
}

export class CaptureControls {
  private paths: PathRule[] = [];
  private methods: ArrayBuffer[] = [];
  private headers: ArrayBuffer[] = [];
  private media: MediaRule[] = [];
  /** Keys of cequenceRedactJsonFields, as UTF-8 (json-redact.ts compares decoded keys with them). */
  readonly jsonKeys: ArrayBuffer[] = [];

  static from(c: Config): CaptureControls {
    const k = new CaptureControls();
    for (let i = 0; i < c.excludePaths.length; i++) {
      const p = c.excludePaths[i];
      const star = p.endsWith("*");
      k.paths.push(new PathRule(bytesOf(star ? p.substring(0, p.length - 1) : p), star));
    }
    for (let i = 0; i < c.excludeMethods.length; i++) k.methods.push(bytesOf(c.excludeMethods[i]));
    for (let i = 0; i < c.redactHeaders.length; i++) k.headers.push(lowercaseBytes(c.redactHeaders[i]));
    for (let i = 0; i < c.redactJsonFields.length; i++) k.jsonKeys.push(bytesOf(c.redactJsonFields[i]));
    for (let i = 0; i < c.skipBodyContentTypes.length; i++) {
      const m = c.skipBodyContentTypes[i];
      const whole = m.endsWith("/*");
      k.media.push(new MediaRule(lowercaseBytes(whole ? m.substring(0, m.length - 1) : m), whole));
    }
    return k;
  }

  /** Any request-level exclusion configured (else the stream need not look at :path and :method). */
  get excludes(): bool {
    return this.paths.length > 0 || this.methods.length > 0;
  }

  get skipsBodies(): bool {
    return this.media.length > 0;
  }

  get redactsHeaders(): bool {
    return this.headers.length > 0;
  }

  get redactsJson(): bool {
    return this.jsonKeys.length > 0;
  }

  /** The request is not captured: its :path (query and fragment ignored) or :method is excluded. */
  excluded(pathPtr: usize, pathLen: i32, methodPtr: usize, methodLen: i32): bool {
    for (let i = 0; i < this.methods.length; i++) if (equalBytes(unchecked(this.methods[i]), methodPtr, methodLen)) return true;
    if (this.paths.length == 0) return false;
    let n: i32 = 0;
    while (n < pathLen) {
      const c = load<u8>(pathPtr + <usize>n);
      if (c == 0x3f || c == 0x23) break; // '?' or '#'
      n++;
    }
    for (let i = 0; i < this.paths.length; i++) {
      const r = unchecked(this.paths[i]);
      const len = r.text.byteLength;
      if (r.prefix) {
        if (n >= len && memory.compare(changetype<usize>(r.text), pathPtr, <usize>len) == 0) return true;
      } else if (equalBytes(r.text, pathPtr, n)) {
        return true;
      }
    }
    return false;
  }

  /** The header named by these bytes has its value redacted (names compared case-insensitively). */
  redactsHeader(namePtr: usize, nameLen: i32): bool {
    for (let i = 0; i < this.headers.length; i++) if (equalLowercase(unchecked(this.headers[i]), namePtr, nameLen)) return true;
    return false;
  }

  /** A body with this content-type value is not read (parameters after ';' and spaces ignored, any case). */
  skipsContentType(ptr: usize, len: i32): bool {
    let start: i32 = 0;
    while (start < len && isSpace(load<u8>(ptr + <usize>start))) start++;
    let end = start;
    while (end < len && load<u8>(ptr + <usize>end) != 0x3b) end++;
    while (end > start && isSpace(load<u8>(ptr + <usize>(end - 1)))) end--;
    const p = ptr + <usize>start;
    const n = end - start;
    for (let i = 0; i < this.media.length; i++) {
      const r = unchecked(this.media[i]);
      const rl = r.text.byteLength;
      if (r.wholeType) {
        if (n > rl && equalLowercase(r.text, p, rl)) return true; // "image/" then a subtype
      } else if (equalLowercase(r.text, p, n)) {
        return true;
      }
    }
    return false;
  }
}

@inline
function isSpace(c: u8): bool {
  return c == 0x20 || c == 0x09;
}

/** True when a content-type value names JSON: application/json, or any type with a +json suffix. */
export function isJsonContentType(ptr: usize, len: i32): bool {
  let start: i32 = 0;
  while (start < len && isSpace(load<u8>(ptr + <usize>start))) start++;
  let end = start;
  while (end < len && load<u8>(ptr + <usize>end) != 0x3b) end++;
  while (end > start && isSpace(load<u8>(ptr + <usize>(end - 1)))) end--;
  const n = end - start;
  const p = ptr + <usize>start;
  const json = utf8("application/json");
  if (equalLowercaseBytes(utf8Bytes(json), utf8Length(json), p, n)) return true;
  const suffix = utf8("+json");
  const s = utf8Length(suffix);
  return n > s && equalLowercaseBytes(utf8Bytes(suffix), s, p + <usize>(n - s), s);
}
