// String literals stored as UTF-8 in one data segment (the utf8-literals transform, scripts/utf8-literals/,
// rewrites the calls and fills LITERALS):
//   msg("text")  an operator message (log line, config error, metric or field name): a string, decoded
//                from the blob at each use, so for cold paths only;
//   utf8("text") a byte string for the hot path (wire-format fragments, header names, property paths):
//                the address of its length byte, then its bytes (at most 255), used without a copy.

// The blob; the transform replaces the placeholder with every literal's bytes.
const LITERALS = memory.data<u8>([0]);

/** A utf8() literal: the address of a length byte followed by that many bytes. */
export type Utf8 = usize;

/** Never compiled: the transform replaces every msg("literal"), so a build without it (or a msg() of
 *  anything but a literal) stops here instead of silently keeping UTF-16 literals. */
export function msg(text: string): string {
  ERROR("msg() takes a string literal and needs the utf8-literals transform (asconfig.json options.transform)");
  return text;
}

/** Never compiled, like msg(). */
export function utf8(text: string): Utf8 {
  ERROR("utf8() takes a string literal and needs the utf8-literals transform (asconfig.json options.transform)");
  return 0;
}

/** The lines of a message: a list of names kept as one msg() literal (smaller than one literal each),
 *  split once at start. */
export function lines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (true) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) {
      out.push(text.substring(start));
      return out;
    }
    out.push(text.substring(start, nl));
    start = nl + 1;
  }
}

// @ts-ignore: decorator
@global
export function __msg(offset: i32, length: i32): string {
  return String.UTF8.decodeUnsafe(LITERALS + <usize>offset, <usize>length, false);
}

// @ts-ignore: decorator
@global @inline
export function __utf8(offset: i32): Utf8 {
  return LITERALS + <usize>offset;
}

/** The number of bytes of a utf8() literal. */
// @ts-ignore: decorator
@inline
export function utf8Length(s: Utf8): i32 {
  return <i32>load<u8>(s);
}

/** The address of a utf8() literal's first byte. */
// @ts-ignore: decorator
@inline
export function utf8Bytes(s: Utf8): usize {
  return s + 1;
}
