// The list-of-strings configuration fields (capture controls): reading one from the configuration
// object and checking each entry by the rule its schema item pattern names (fields.generated.ts).
// Pure logic: no host calls.
import { JSON } from "./json";
import { msg } from "../literals";

/** A token character (RFC 9110 tchar): what header names and methods are made of. */
function isTchar(c: i32): bool {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a || c == 0x2b ||
    c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

function isToken(s: string, from: i32, to: i32): bool {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

/** Why `s` breaks `rule` ("" when it does not). */
export function itemProblem(rule: string, s: string): string {
  if (rule == msg("path")) {
    if (s.charCodeAt(0) != 0x2f) return msg("must start with '/'");
    const star = s.indexOf("*");
    if (star >= 0 && star != s.length - 1) return msg("may hold '*' only as its last character");
    return "";
  }
  if (rule == msg("token")) {
    if (s.charCodeAt(0) == 0x3a) return msg("is a pseudo-header, which cannot be listed");
    return isToken(s, 0, s.length) ? "" : msg("must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)");
  }
  if (rule == msg("media")) {
    const slash = s.indexOf("/");
    const sub = s.substring(slash + 1);
    const subtypeOk = slash >= 0 && (sub == "*" || (isToken(s, slash + 1, s.length) && sub.indexOf("*") < 0));
    const typeOk = slash > 0 && isToken(s, 0, slash) && s.substring(0, slash).indexOf("*") < 0;
    if (!typeOk || !subtypeOk) return msg("must be a media type type/subtype or type/*");
    return "";
  }
  return "";
}

export class ListResult {
  values: string[] = [];
  error: string = "";
}

/** Reads list field `name` (absent or null: []), checks its type, size and every entry. */
export function readList(v: JSON.Value | null, maxItems: i32, minLength: i32, maxLength: i32, rule: string): ListResult {
  const r = new ListResult();
  if (v == null || v.isNull) return r;
  if (!v.isArr) {
    r.error = msg("must be an array of strings");
    return r;
  }
  const items = (<JSON.Arr>v).valueOf();
  if (items.length > maxItems) {
    r.error = msg("must have at most ") + maxItems.toString() + msg(" entries, got ") + items.length.toString();
    return r;
  }
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const at = msg("entry ") + i.toString();
    if (!it.isString) {
      r.error = at + msg(" must be a string");
      return r;
    }
    const s = (<JSON.Str>it).valueOf();
    if (s.length < minLength || s.length > maxLength) {
      r.error = at + msg(" must be ") + minLength.toString() + msg(" to ") + maxLength.toString() + msg(" characters long");
      return r;
    }
    const p = itemProblem(rule, s);
    if (p.length > 0) {
      r.error = at + " (\"" + s + "\") " + p;
      return r;
    }
    r.values.push(s);
  }
  return r;
}
