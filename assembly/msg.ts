// msg("text"): an operator message (log line, config error, metric name) kept as UTF-8 in one blob and
// decoded when used. The transform scripts/utf8-messages/ rewrites each call into __msg(offset, length) and fills
// MSG_BLOB; for cold paths only (each use allocates the string).

// Filled by the transform with every message's bytes; empty (and unused) without it.
const MSG_BLOB = memory.data<u8>([0]);

/** Never compiled: the transform replaces every msg("literal") by __msg, so a build without it (or a
 *  msg() of anything but a literal) stops here instead of silently keeping UTF-16 literals. */
export function msg(text: string): string {
  ERROR("msg() needs a string literal and the utf8-messages transform (asconfig.json options.transform)");
  return text;
}

// @ts-ignore: decorator
@global
export function __msg(offset: i32, length: i32): string {
  return String.UTF8.decodeUnsafe(MSG_BLOB + <usize>offset, <usize>length, false);
}
