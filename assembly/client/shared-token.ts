// Records for sharing one access token between the gateway's worker VMs through proxy-wasm shared data.
// Pure: only the encodings and the key; the glue (token-flow.ts) does the get/set/CAS calls.
//
//   token key  "cequence.token.<hash>"        value "v1\n<expiresAtMs>\n<renewAtMs>\n<token>"
//   lease key  "cequence.token-lease.<hash>"  value "v1\n<untilMs>\n<failures>\n<owner>"
//
// <hash> (FNV-1a of client id, auth cluster, authority and path) keeps policies with different
// credentials apart; the secret is not part of it. The lease says which worker fetches the token and
// until when no other worker should (the fetch deadline, or after a failure the end of its backoff,
// so a failing token endpoint is retried by one worker on one schedule, not by every worker), and
// how many token requests failed in a row, so the backoff keeps growing whichever worker retries.

import { parseDecimal } from "./oauth";
import { msg } from "../literals";

export const RECORD_VERSION = "v1";

export function fnv1a32(s: string): u32 {
  const b = Uint8Array.wrap(String.UTF8.encode(s));
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    h ^= <u32>b[i];
    h *= 0x01000193;
  }
  return h;
}

export function hex32(v: u32): string {
  const digits = msg("0123456789abcdef");
  let s = "";
  for (let i = 7; i >= 0; i--) s += digits.charAt(<i32>((v >> (<u32>i * 4)) & 15));
  return s;
}

export function sharedKeySuffix(clientId: string, authCluster: string, authAuthority: string, authPath: string): string {
  return hex32(fnv1a32(clientId + "\n" + authCluster + "\n" + authAuthority + "\n" + authPath));
}

export class SharedToken {
  token: string = "";
  expiresAtMs: i64 = 0;
  renewAtMs: i64 = 0;
}

export class Lease {
  untilMs: i64 = 0;
  failures: i32 = 0;
  owner: string = "";
}

export function encodeToken(token: string, expiresAtMs: i64, renewAtMs: i64): string {
  return RECORD_VERSION + "\n" + expiresAtMs.toString() + "\n" + renewAtMs.toString() + "\n" + token;
}

export function encodeLease(untilMs: i64, failures: i32, owner: string): string {
  return RECORD_VERSION + "\n" + untilMs.toString() + "\n" + (failures < 0 ? 0 : failures).toString() + "\n" + owner;
}

/** A non-negative decimal of at most 15 digits, or -1. */
function parseMs(s: string): i64 {
  return parseDecimal(s, 15);
}

/** Splits "v1\n<a>\n<b>..." into at most `n` fields (the last keeps any further newlines); null if the version differs or fields are missing. */
function fields(text: string, n: i32): string[] | null {
  const out = new Array<string>();
  let start = 0;
  for (let i = 0; i < n - 1; i++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return null;
    out.push(text.substring(start, nl));
    start = nl + 1;
  }
  out.push(text.substring(start));
  if (out.length != n || out[0] != RECORD_VERSION) return null;
  return out;
}

export function decodeToken(text: string): SharedToken | null {
  const f = fields(text, 4);
  if (f == null) return null;
  const expires = parseMs(f[1]);
  const renew = parseMs(f[2]);
  const token = f[3];
  if (expires < 0 || renew < 0 || token.length == 0) return null;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return null;
  }
  const t = new SharedToken();
  t.token = token;
  t.expiresAtMs = expires;
  t.renewAtMs = renew;
  return t;
}

export function decodeLease(text: string): Lease | null {
  const f = fields(text, 4);
  if (f == null) return null;
  const until = parseMs(f[1]);
  const failures = parseMs(f[2]);
  if (until < 0 || failures < 0 || failures > 1000000) return null;
  const l = new Lease();
  l.untilMs = until;
  l.failures = <i32>failures;
  l.owner = f[3];
  return l;
}
