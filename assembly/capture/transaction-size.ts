// The exact size of the document transaction.ts writes, worked out before it is written: so the queue
// makes room first (dropping the oldest, counted) and the transaction is built into one block of that
// size, never grown or copied, and one that could never fit is not built at all. Pure. Kept beside
// writeTransaction line for line; tests hold the two equal on every exchange they serialise.
import { CapturedExchange, Prepared, SourceInfo, AFTER_TIMESTAMP, SOURCE_INFO_OPEN, SOURCE_INFO_TYPE, TRUNCATED_ONLY, TRUNCATED_AFTER, SKIPPED_ONLY, SKIPPED_AFTER, REDACTED_VALUE } from "./transaction";
import { utf8Length } from "../literals";
import { POLICY_VERSION } from "../version";
import { BodyCapture } from "./body";
import { HeaderPairs, Slice } from "./header-pairs";
import { CaptureControls } from "./controls";
import { splitHostPort } from "./address";
import { escapedLossyLength } from "./json-writer";
import { base64Length } from "./base64";
import { RawBytes } from "../raw-bytes";

function decimalLength(v: u64): i64 {
  let n: i64 = 1;
  while (v >= 10) {
    v /= 10;
    n++;
  }
  return n;
}

function signedLength(v: i64): i64 {
  return v < 0 ? 1 + decimalLength(<u64>(-(v + 1)) + 1) : decimalLength(<u64>v);
}

/** A quoted JSON string of these bytes, as JsonWriter.stringLossy writes it. */
function quoted(ptr: usize, len: i32): i64 {
  return 2 + escapedLossyLength(ptr, len);
}

function quotedString(s: string): i64 {
  return quotedBytes(String.UTF8.encode(s));
}

function quotedBytes(b: ArrayBuffer): i64 {
  return quoted(changetype<usize>(b), b.byteLength);
}

function sliceOrEmpty(s: Slice): i64 {
  return s.present ? quoted(s.ptr, s.len) : 2;
}

/** writeIp: the IP part of "ip:port" ("" when absent). */
function ipLength(addr: ArrayBuffer | null): i64 {
  if (addr == null) return 2;
  const p = changetype<usize>(addr);
  const hp = splitHostPort(p, addr.byteLength);
  return quoted(p + <usize>hp.ipStart, hp.ipLen);
}

function portOf(addr: ArrayBuffer | null, fallback: i32): i32 {
  if (addr == null) return fallback;
  const port = splitHostPort(changetype<usize>(addr), addr.byteLength).port;
  return port < 0 ? fallback : port;
}

function headersLength(pairs: HeaderPairs, body: BodyCapture | null, k: CaptureControls | null): i64 {
  const redact = k != null && k.redactsHeaders;
  let n: i64 = 1; // [
  let first = true;
  pairs.rewind();
  while (pairs.next()) {
    if (pairs.isPseudo) continue;
    n += first ? 1 : 2;
    first = false;
    n += escapedLossyLength(pairs.namePtr, pairs.nameLen) + 1; // name ':'
    if (redact && k!.redactsHeader(pairs.namePtr, pairs.nameLen)) n += utf8Length(REDACTED_VALUE);
    else n += <i64>base64Length(pairs.valueLen);
    n += 1; // "
  }
  pairs.rewind();
  if (body != null && body.skipped) n += utf8Length(first ? SKIPPED_ONLY : SKIPPED_AFTER);
  else if (body != null && body.truncated) n += utf8Length(first ? TRUNCATED_ONLY : TRUNCATED_AFTER);
  return n + 1; // ]
}

function bodyLength(body: BodyCapture | null, redacted: RawBytes | null): i64 {
  let n: i64 = 18; // ,"body":{"length":
  if (body == null || body.captured == 0) return n + 12; // 0,"data":""}
  const len = redacted != null ? redacted.len : body.captured;
  return n + signedLength(len) + 9 + <i64>base64Length(len) + 2; // N ,"data":" ... "}
}

export function transactionSize(x: CapturedExchange, id: string, src: SourceInfo, k: CaptureControls | null, p: Prepared): i64 {
  const line = p.line;
  let n: i64 = 14 + decimalLength(x.requestStartNs / 1000000 / 1000) + 4 + utf8Length(AFTER_TIMESTAMP) + quotedString(id);
  n += 24 + ipLength(x.sourceAddress); // ,"request":{"client-ip":
  if (line.scheme.present) n += 15 + quoted(line.scheme.ptr, line.scheme.len);
  const proto = x.protocol;
  if (proto != null && proto.byteLength > 0) {
    const pp = changetype<usize>(proto);
    let len = proto.byteLength;
    let start: usize = 0;
    if (len > 5 && load<u8>(pp) == 0x48 && load<u8>(pp, 1) == 0x54 && load<u8>(pp, 2) == 0x54 && load<u8>(pp, 3) == 0x50 && load<u8>(pp, 4) == 0x2f) {
      start = 5;
      len -= 5;
    }
    n += 16 + quoted(pp + start, len);
  }
  n += 15 + sliceOrEmpty(line.method);
  n += 22 + sliceOrEmpty(line.path);
  const host = line.authority.present ? line.authority : line.host;
  if (host.present) n += 8 + quoted(host.ptr, host.len);
  n += 31 + ipLength(x.sourceAddress); // ,"connection":{"connection-ip":
  const cport = portOf(x.sourceAddress, x.sourcePort);
  if (cport >= 0) n += 19 + signedLength(cport);
  n += 13 + ipLength(x.destinationAddress);
  const sport = portOf(x.destinationAddress, x.destinationPort);
  if (sport >= 0) n += 15 + signedLength(sport);
  n += 12 + headersLength(p.reqPairs, x.requestBody, k); // },"headers":
  n += bodyLength(x.requestBody, p.reqRedacted);
  n += 29 + signedLength(x.status) + 12; // },"response":{"status-code":"  N  ","headers":
  n += headersLength(p.respPairs, x.responseBody, k);
  n += bodyLength(x.responseBody, p.respRedacted);
  n += utf8Length(SOURCE_INFO_OPEN) + POLICY_VERSION.length + utf8Length(SOURCE_INFO_TYPE) + quotedBytes(src.poolIdUtf8) + 15 + quotedBytes(src.instanceIdUtf8) + 3;
  return n;
}
