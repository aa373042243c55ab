// OAuth2 client-credentials wire formats (RFC 6749 §4.4): the form-encoded request body and the JSON
// token response. Pure.
//
// The response comes from the network: the reader (config/json.ts) checks strict well-formedness as it
// parses and never traps. Error texts never quote the body: a body may hold a token.
import { JSON } from "../config/json";
import { msg } from "../literals";

/** Largest token response read; a bigger one is refused without being parsed. */
export const MAX_TOKEN_RESPONSE_BYTES: i32 = 65536;
/** Longest access token accepted (JWTs are typically 1-2 KB). */
export const MAX_TOKEN_LENGTH: i32 = 16384;
/** Longest number literal accepted in a token response (a bound from the first parser, whose number
 *  handling was quadratic; an answer with a longer one is still refused the same way). */
const MAX_NUMBER_CHARS: i32 = 32;

const HEX = msg("0123456789ABCDEF");

/** application/x-www-form-urlencoded encoding of a string's UTF-8 bytes (space as '+'). */
export function formUrlEncode(s: string): string {
  const bytes = Uint8Array.wrap(String.UTF8.encode(s));
  const parts = new Array<string>();
  let plain = 0;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = <i32>bytes[i];
    const unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
      b == 0x2d || b == 0x2e || b == 0x5f || b == 0x2a;
    if (unreserved) {
      if (plain == 0) start = i;
      plain++;
      continue;
    }
    if (plain > 0) {
      parts.push(String.UTF8.decodeUnsafe(changetype<usize>(bytes.buffer) + <usize>start, <usize>plain));
      plain = 0;
    }
    if (b == 0x20) parts.push("+");
    else parts.push("%" + HEX.charAt(b >> 4) + HEX.charAt(b & 15));
  }
  if (plain > 0) parts.push(String.UTF8.decodeUnsafe(changetype<usize>(bytes.buffer) + <usize>start, <usize>plain));
  return parts.join("");
}

/** The token request body. Holds the secret: never log it. */
export function tokenRequestBody(clientId: string, clientSecret: string): string {
  return msg("grant_type=client_credentials&client_id=") + formUrlEncode(clientId) + msg("&client_secret=") + formUrlEncode(clientSecret);
}

export class TokenResponse {
  /** "" when the response holds a usable token; otherwise why not (never quoting the body). */
  error: string = "";
  token: string = "";
  expiresInS: i64 = 0;
  hasExpiresIn: bool = false;
}

function failed(r: TokenResponse, why: string): TokenResponse {
  r.error = why;
  r.token = "";
  return r;
}

/** True when every number literal outside strings is short (checked on well-formed JSON). */
function numbersShort(b: Uint8Array): bool {
  let inString = false;
  let run = 0;
  for (let i = 0; i < b.length; i++) {
    const c = <i32>b[i];
    if (inString) {
      if (c == 0x5c) i++; // skip the escaped character
      else if (c == 0x22) inString = false;
      continue;
    }
    if (c == 0x22) { inString = true; run = 0; continue; }
    const numeric = (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45;
    if (numeric) {
      run++;
      if (run > MAX_NUMBER_CHARS) return false;
    } else {
      run = 0;
    }
  }
  return true;
}

/** Token characters allowed in an Authorization header value: visible ASCII only (RFC 6750 b64token is a subset). */
function tokenCharsOk(t: string): bool {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** A non-negative decimal of 1 to `maxDigits` digits and nothing else, or -1. */
export function parseDecimal(s: string, maxDigits: i32): i64 {
  if (s.length == 0 || s.length > maxDigits) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + <i64>(c - 0x30);
  }
  return v;
}

/** Extracts access_token and expires_in from a token endpoint's 200 answer. */
export function parseTokenResponse(body: Uint8Array): TokenResponse {
  const r = new TokenResponse();
  if (body.length == 0) return failed(r, msg("empty response body"));
  if (body.length > MAX_TOKEN_RESPONSE_BYTES) return failed(r, msg("response body larger than ") + MAX_TOKEN_RESPONSE_BYTES.toString() + msg(" bytes"));
  const doc = JSON.parse(body).value;
  if (doc == null) return failed(r, msg("response is not valid JSON"));
  if (!numbersShort(body)) return failed(r, msg("response has an oversized number"));
  if (!doc.isObj) return failed(r, msg("response is not a JSON object"));
  const obj = changetype<JSON.Obj>(doc);

  const t = obj.get(msg("access_token"));
  if (t == null || !t.isString) return failed(r, msg("response has no access_token string"));
  const token = (<JSON.Str>t).valueOf();
  if (token.length == 0) return failed(r, msg("access_token is empty"));
  if (token.length > MAX_TOKEN_LENGTH) return failed(r, msg("access_token is longer than ") + MAX_TOKEN_LENGTH.toString() + msg(" characters"));
  if (!tokenCharsOk(token)) return failed(r, msg("access_token has characters not allowed in an HTTP header"));

  const e = obj.get(msg("expires_in"));
  if (e != null && !e.isNull) {
    let v: i64 = -1;
    if (e.isInteger) {
      v = (<JSON.Integer>e).valueOf();
    } else if (e.isFloat) {
      const f = (<JSON.Float>e).valueOf();
      if (isFinite(f) && f >= 0 && f < 1.0e12) v = <i64>f;
    } else if (e.isString) {
      v = parseDecimal((<JSON.Str>e).valueOf(), 12); // some servers send expires_in as a string
    }
    if (v <= 0) return failed(r, msg("expires_in is not a positive number of seconds"));
    r.expiresInS = v;
    r.hasExpiresIn = true;
  }
  r.token = token;
  return r;
}
