// THE transaction format: the one module that decides what a captured API call looks like on the wire,
// in Cequence's own format (README "Wire format"; schema/transaction.schema.json holds the same format
// and tests hold the two together). Pure: it works on bytes the HTTP context collected, never the host.
//
// {
//   "timestamp": "1732230000.123",            request start, Unix epoch seconds with milliseconds
//   "version": "1.0",                          format version (Cequence's article: default 1.0)
//   "transaction-id": "<32 lowercase hex>",
//   "request": {
//     "client-ip": "203.0.113.7",              IP of source.address (the downstream peer as Envoy sees it)
//     "http-scheme": "https",                  :scheme (omitted when absent)
//     "http-version": "1.1",                   request.protocol without "HTTP/" (omitted when absent)
//     "http-method": "GET",                    :method
//     "uri-query-fragment": "/p?q=1",          :path exactly as received (query included)
//     "host": "api.example.com",               :authority, else the host header (omitted when neither)
//     "connection": { "connection-ip", "connection-port", "server-ip", "server-port" },
//                                              source/destination address and port (ports omitted when unknown)
//     "headers": [ "accept:Ki8q", ... ],       "<name>:<base64 of the value>", one entry per value
//     "body": { "length": 12, "data": "<base64 of the bytes carried>" }
//   },
//   "response": { "status-code": "200", "headers": [...], "body": {...} },
//   "txn-meta-data": {
//     "source_info": { "version": "<policy version>", "type": "mulesoft-flex-gateway",
//                      "pool_id": "<API instance: plugin_name>", "instance_id": "<gateway: node.id>" }
//   }
// }
//
// Headers: every regular header in the order the gateway holds them. Pseudo-headers (:method, :path,
// :authority, :scheme, :status) are the dedicated fields above. Values and bodies are base64 whatever
// their bytes, so nothing is lost and nothing but names, method, path, host and addresses needs JSON
// escaping (those are written with each ill-formed UTF-8 subpart replaced by \ufffd). `transaction-depth`
// is omitted: no host gives a connection's request count (Envoy has no such attribute). A body cut short
// adds "cq-body-truncated:dHJ1ZQ==" (base64 of "true") as the last entry of that side's headers, and its
// "length" counts the bytes carried.
//
// Capture controls (controls.ts) apply here, before encoding: a redacted header's value travels as
// base64("[REDACTED]"); a JSON body has its listed keys' values replaced (json-redact.ts); a body not
// read because of its content type travels empty with the entry "cq-body-skipped:dHJ1ZQ==".
import { JsonWriter } from "./json-writer";
import { Base64Stream } from "./base64";
import { BodyCapture } from "./body";
import { HeaderPairs, Slice } from "./header-pairs";
import { splitHostPort } from "./address";
import { CaptureControls, isJsonContentType } from "./controls";
import { redactJson } from "./json-redact";
import { POLICY_VERSION } from "../version";
import { RawBytes } from "../raw-bytes";
import { Utf8, utf8 } from "../literals";

// (@inline: a string constant the module itself does not use, only the tests, then costs nothing.)
// @ts-ignore: decorator
@inline export const FORMAT_VERSION = "1.0";
/** source_info.type: the product type. */
// @ts-ignore: decorator
@inline export const PRODUCT_TYPE = "mulesoft-flex-gateway";

// The wire format's fixed fragments as utf8() literals (transaction-size.ts counts them too). A side
// whose body was cut ends its headers with the entry cq-body-truncated:dHJ1ZQ== (base64 of "true"); a
// side whose body was not read (cequenceSkipBodyContentTypes) with cq-body-skipped:dHJ1ZQ==.
export const TRUNCATED_ONLY = utf8("\"cq-body-truncated:dHJ1ZQ==\"");
export const TRUNCATED_AFTER = utf8(",\"cq-body-truncated:dHJ1ZQ==\"");
export const SKIPPED_ONLY = utf8("\"cq-body-skipped:dHJ1ZQ==\"");
export const SKIPPED_AFTER = utf8(",\"cq-body-skipped:dHJ1ZQ==\"");
/** base64("[REDACTED]"): the value of a redacted header on the wire. */
export const REDACTED_VALUE = utf8("W1JFREFDVEVEXQ==");
export const AFTER_TIMESTAMP = utf8("\",\"version\":\"1.0\",\"transaction-id\":");
// txn-meta-data up to pool_id's value, around POLICY_VERSION (the type is PRODUCT_TYPE).
export const SOURCE_INFO_OPEN = utf8("},\"txn-meta-data\":{\"source_info\":{\"version\":\"");
export const SOURCE_INFO_TYPE = utf8("\",\"type\":\"mulesoft-flex-gateway\",\"pool_id\":");

export class SourceInfo {
  /** The two values as UTF-8, encoded once (they are written into every transaction). */
  readonly poolIdUtf8: ArrayBuffer;
  readonly instanceIdUtf8: ArrayBuffer;
  constructor(public readonly poolId: string = "", public readonly instanceId: string = "") {
    this.poolIdUtf8 = String.UTF8.encode(poolId);
    this.instanceIdUtf8 = String.UTF8.encode(instanceId);
  }
}

/** Everything one stream contributed, as raw bytes: filled by the HTTP context, read by `serialize`. */
export class CapturedExchange {
  /** Request headers in the pairs encoding (as read in on_request_headers). */
  requestHeaders: RawBytes | null = null;
  responseHeaders: RawBytes | null = null;
  requestBody: BodyCapture | null = null;
  responseBody: BodyCapture | null = null;
  /** Property bytes: source.address, destination.address ("ip:port"), request.protocol. */
  sourceAddress: ArrayBuffer | null = null;
  destinationAddress: ArrayBuffer | null = null;
  protocol: ArrayBuffer | null = null;
  /** Ports from source.port / destination.port when the address strings carry none (-1: unknown). */
  sourcePort: i32 = -1;
  destinationPort: i32 = -1;
  status: i32 = 0;
  /** When on_request_headers ran (the transaction's timestamp). */
  requestStartNs: u64 = 0;
}

/** The request's pseudo-header values, found in one pass over the pairs. */
export class RequestLine {
  method: Slice = new Slice();
  path: Slice = new Slice();
  authority: Slice = new Slice();
  scheme: Slice = new Slice();
  host: Slice = new Slice(); // the regular host header, used when :authority is absent
  headerCount: i32 = 0; // regular (non-pseudo) headers
}

export function readRequestLine(pairs: HeaderPairs): RequestLine {
  const r = new RequestLine();
  pairs.rewind();
  while (pairs.next()) {
    if (pairs.isPseudo) {
      if (pairs.nameIs(utf8(":method"))) r.method.set(pairs.valuePtr, pairs.valueLen);
      else if (pairs.nameIs(utf8(":path"))) r.path.set(pairs.valuePtr, pairs.valueLen);
      else if (pairs.nameIs(utf8(":authority"))) r.authority.set(pairs.valuePtr, pairs.valueLen);
      else if (pairs.nameIs(utf8(":scheme"))) r.scheme.set(pairs.valuePtr, pairs.valueLen);
    } else {
      r.headerCount++;
      if (!r.host.present && pairs.nameIs(utf8("host"))) r.host.set(pairs.valuePtr, pairs.valueLen);
    }
  }
  pairs.rewind();
  return r;
}

/**
 * What serialising reads besides the exchange, worked out once: both sides' header views, the request
 * line, and each JSON body with its listed keys redacted (null when not redacted). Sizing and writing
 * share it; free() gives the redacted copies back.
 */
export class Prepared {
  reqPairs: HeaderPairs = new HeaderPairs(null);
  respPairs: HeaderPairs = new HeaderPairs(null);
  line: RequestLine = new RequestLine();
  reqRedacted: RawBytes | null = null;
  respRedacted: RawBytes | null = null;

  free(): void {
    const a = this.reqRedacted;
    if (a != null) a.free();
    const b = this.respRedacted;
    if (b != null) b.free();
  }
}

export function prepareTransaction(x: CapturedExchange, k: CaptureControls | null): Prepared {
  const p = new Prepared();
  p.reqPairs = HeaderPairs.of(x.requestHeaders);
  p.respPairs = HeaderPairs.of(x.responseHeaders);
  p.line = readRequestLine(p.reqPairs);
  p.reqRedacted = redactedBody(x.requestBody, p.reqPairs, k);
  p.respRedacted = redactedBody(x.responseBody, p.respPairs, k);
  return p;
}

function redactedBody(body: BodyCapture | null, pairs: HeaderPairs, k: CaptureControls | null): RawBytes | null {
  if (body == null || body.captured == 0 || k == null || !k.redactsJson || !looksJson(pairs, body)) return null;
  return RawBytes.copyOf(redactJson(body.chunks, k.jsonKeys, body.captured).bytes);
}

function estimateSize(x: CapturedExchange): i32 {
  // Base64 is 4/3 of its input; headers also add a name and punctuation per entry.
  let n: i32 = 1024;
  const rh = x.requestHeaders;
  if (rh != null) n += rh.byteLength + (rh.byteLength >> 1);
  const sh = x.responseHeaders;
  if (sh != null) n += sh.byteLength + (sh.byteLength >> 1);
  const rb = x.requestBody;
  if (rb != null) n += rb.captured + (rb.captured / 3) + 4;
  const sb = x.responseBody;
  if (sb != null) n += sb.captured + (sb.captured / 3) + 4;
  return n;
}

// The format is fixed, so its punctuation and keys are written as literal fragments (one call each,
// commas included) and only values go through the JSON writer's escaping; none of this opens writer
// objects, so the writer adds no commas of its own.

function raw(w: JsonWriter, fragment: Utf8): void {
  w.out.writeUtf8(fragment);
}

function writeSliceOrEmpty(w: JsonWriter, s: Slice): void {
  if (s.present) w.stringLossy(s.ptr, s.len);
  else raw(w, utf8("\"\""));
}

/**
 * ["name:base64(value)", ...]: one entry per regular header value (a redacted one's value is
 * [REDACTED]), then the truncation or skip entry for that side's body.
 */
function writeHeaders(w: JsonWriter, pairs: HeaderPairs, body: BodyCapture | null, b64: Base64Stream, k: CaptureControls | null): void {
  const out = w.out;
  const redact = k != null && k.redactsHeaders;
  raw(w, utf8("["));
  let first = true;
  pairs.rewind();
  while (pairs.next()) {
    if (pairs.isPseudo) continue;
    raw(w, first ? utf8("\"") : utf8(",\""));
    first = false;
    w.escapedLossy(pairs.namePtr, pairs.nameLen);
    out.writeByte(0x3a); // ':'
    if (redact && k!.redactsHeader(pairs.namePtr, pairs.nameLen)) {
      out.writeUtf8(REDACTED_VALUE);
    } else {
      b64.write(out, pairs.valuePtr, pairs.valueLen);
      b64.finish(out);
    }
    out.writeByte(0x22);
  }
  pairs.rewind();
  if (body != null && body.skipped) raw(w, first ? SKIPPED_ONLY : SKIPPED_AFTER);
  else if (body != null && body.truncated) raw(w, first ? TRUNCATED_ONLY : TRUNCATED_AFTER);
  raw(w, utf8("]"));
}

/** Whether a side's body is JSON for cequenceRedactJsonFields: its content type says so, or, without one, it starts with { or [. */
function looksJson(pairs: HeaderPairs, body: BodyCapture): bool {
  if (pairs.find(utf8("content-type"))) return isJsonContentType(pairs.valuePtr, pairs.valueLen);
  const chunks = body.chunks;
  for (let i = 0; i < chunks.length; i++) {
    const c = unchecked(chunks[i]);
    const p = c.ptr;
    for (let j = 0; j < c.len; j++) {
      const b = load<u8>(p + <usize>j);
      if (b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d) continue;
      return b == 0x7b || b == 0x5b;
    }
  }
  return false;
}

/** ,"body":{"length":N,"data":"<base64>"}: N is the number of bytes carried (after any JSON redaction). */
function writeBody(w: JsonWriter, body: BodyCapture | null, b64: Base64Stream, redacted: RawBytes | null): void {
  const out = w.out;
  raw(w, utf8(",\"body\":{\"length\":"));
  if (body == null || body.captured == 0) {
    raw(w, utf8("0,\"data\":\"\"}"));
    return;
  }
  if (redacted != null) {
    out.writeI64(redacted.len);
    raw(w, utf8(",\"data\":\""));
    b64.write(out, redacted.ptr, redacted.len);
  } else {
    out.writeI64(body.captured);
    raw(w, utf8(",\"data\":\""));
    const chunks = body.chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = unchecked(chunks[i]);
      b64.write(out, c.ptr, c.len);
    }
  }
  b64.finish(out);
  raw(w, utf8("\"}"));
}

/** Writes the IP part of an "ip:port" property as a JSON string ("" when absent); returns its port or -1. */
function writeIp(w: JsonWriter, addr: ArrayBuffer | null): i32 {
  if (addr == null) {
    raw(w, utf8("\"\""));
    return -1;
  }
  const p = changetype<usize>(addr);
  const hp = splitHostPort(p, addr.byteLength);
  w.stringLossy(p + <usize>hp.ipStart, hp.ipLen);
  return hp.port;
}

/** "HTTP/1.1" -> "1.1", "HTTP/2" -> "2" (Envoy's request.protocol); anything else as it is. */
function writeHttpVersion(w: JsonWriter, proto: ArrayBuffer): void {
  const p = changetype<usize>(proto);
  let n = proto.byteLength;
  let start: usize = 0;
  if (n > 5 && load<u8>(p) == 0x48 && load<u8>(p, 1) == 0x54 && load<u8>(p, 2) == 0x54 && load<u8>(p, 3) == 0x50 && load<u8>(p, 4) == 0x2f) {
    start = 5; // "HTTP/"
    n -= 5;
  }
  w.stringLossy(p + start, n);
}

/** Unix epoch seconds with three decimals of milliseconds, e.g. 1732230000.123. */
function writeEpochMillis(w: JsonWriter, ns: u64): void {
  const ms = ns / 1000000;
  const out = w.out;
  out.writeU64(ms / 1000);
  const frac = <u32>(ms % 1000);
  out.writeByte(0x2e);
  out.writeByte(<u8>(0x30 + frac / 100));
  out.writeByte(<u8>(0x30 + (frac / 10) % 10));
  out.writeByte(<u8>(0x30 + frac % 10));
}

/** Serialises one transaction to the UTF-8 bytes of one JSON object (a managed copy: tests and tools). */
export function serializeTransaction(x: CapturedExchange, id: string, src: SourceInfo, controls: CaptureControls | null = null): ArrayBuffer {
  const p = prepareTransaction(x, controls);
  const w = new JsonWriter(estimateSize(x));
  writeTransaction(w, x, id, src, controls, p);
  p.free();
  return w.toArrayBuffer();
}

/**
 * The same bytes written straight into `into` (a record the queue reserved: exactly transactionSize
 * bytes, so nothing grows and nothing is copied). False when they were not exactly `into.len` bytes
 * (transactionSize and this writer disagree: tests hold them equal); `into` is then not a transaction.
 */
export function writeTransactionInto(into: RawBytes, x: CapturedExchange, id: string, src: SourceInfo, controls: CaptureControls | null, p: Prepared): bool {
  const w = new JsonWriter(into.len, into.ptr);
  writeTransaction(w, x, id, src, controls, p);
  const exact = w.out.inPlace && w.out.length == into.len;
  w.out.free();
  return exact;
}

function writeTransaction(w: JsonWriter, x: CapturedExchange, id: string, src: SourceInfo, controls: CaptureControls | null, p: Prepared): void {
  const out = w.out;
  const b64 = new Base64Stream();
  const reqPairs = p.reqPairs;
  const line = p.line;

  raw(w, utf8("{\"timestamp\":\""));
  writeEpochMillis(w, x.requestStartNs);
  raw(w, AFTER_TIMESTAMP);
  w.string(id);

  // request
  raw(w, utf8(",\"request\":{\"client-ip\":"));
  writeIp(w, x.sourceAddress);
  if (line.scheme.present) {
    raw(w, utf8(",\"http-scheme\":"));
    w.stringLossy(line.scheme.ptr, line.scheme.len);
  }
  const proto = x.protocol;
  if (proto != null && proto.byteLength > 0) {
    raw(w, utf8(",\"http-version\":"));
    writeHttpVersion(w, proto);
  }
  raw(w, utf8(",\"http-method\":"));
  writeSliceOrEmpty(w, line.method);
  raw(w, utf8(",\"uri-query-fragment\":"));
  writeSliceOrEmpty(w, line.path);
  const host = line.authority.present ? line.authority : line.host;
  if (host.present) {
    raw(w, utf8(",\"host\":"));
    w.stringLossy(host.ptr, host.len);
  }
  raw(w, utf8(",\"connection\":{\"connection-ip\":"));
  let cport = writeIp(w, x.sourceAddress);
  if (cport < 0) cport = x.sourcePort;
  if (cport >= 0) {
    raw(w, utf8(",\"connection-port\":"));
    out.writeI64(cport);
  }
  raw(w, utf8(",\"server-ip\":"));
  let sport = writeIp(w, x.destinationAddress);
  if (sport < 0) sport = x.destinationPort;
  if (sport >= 0) {
    raw(w, utf8(",\"server-port\":"));
    out.writeI64(sport);
  }
  raw(w, utf8("},\"headers\":"));
  writeHeaders(w, reqPairs, x.requestBody, b64, controls);
  writeBody(w, x.requestBody, b64, p.reqRedacted);

  // response
  raw(w, utf8("},\"response\":{\"status-code\":\""));
  out.writeI64(x.status);
  raw(w, utf8("\",\"headers\":"));
  writeHeaders(w, p.respPairs, x.responseBody, b64, controls);
  writeBody(w, x.responseBody, b64, p.respRedacted);

  // txn-meta-data
  raw(w, SOURCE_INFO_OPEN);
  w.out.writeAscii(POLICY_VERSION);
  raw(w, SOURCE_INFO_TYPE);
  w.stringLossy(changetype<usize>(src.poolIdUtf8), src.poolIdUtf8.byteLength);
  raw(w, utf8(",\"instance_id\":"));
  w.stringLossy(changetype<usize>(src.instanceIdUtf8), src.instanceIdUtf8.byteLength);
  raw(w, utf8("}}}"));
}
