// THE transaction format: the one module that decides what a captured API call looks like on the wire.
// schema/transaction.schema.json documents the same format (and tests hold the two together). Pure: it
// works on bytes the HTTP context collected and never calls the host.
//
// {
//   "timestamp": "1732230000",                 request start, Unix epoch seconds, as a string
//   "version": "1.0",                          format version
//   "transaction-id": "<32 lowercase hex>",
//   "request": {
//     "client-ip": "203.0.113.7",              IP of source.address (the downstream peer as Envoy sees it)
//     "http-scheme": "https",                  :scheme (omitted when absent)
//     "http-version": "HTTP/1.1",              request.protocol property (omitted when absent)
//     "http-method": "GET",                    :method
//     "uri-query-fragment": "/p?q=1",          :path exactly as received (query included)
//     "host": "api.example.com",               :authority, else the host header (omitted when neither)
//     "connection": { "connection-ip", "connection-port", "server-ip", "server-port" },
//                                              source/destination address and port (ports omitted when unknown)
//     "headers": [ {"name": "accept", "value": "*/*"}, ... ],
//     "body": "...", "body-encoding": "utf8" | "base64", "body-size": 40960
//   },
//   "response": { "status": 200, "headers": [...], "body": "...", "body-encoding": ..., "body-size": ... },
//   "txn-meta-data": {
//     "source_info": { "version": "<policy version>", "type": "mulesoft-flex-gateway",
//                      "pool_id": "<API instance: plugin_name>", "instance_id": "<gateway: node.id>" },
//     "timing": { "request-start-ms", "response-start-ms", "end-ms", "duration-ms" }   epoch milliseconds
//   }
// }
//
// Headers: every regular header in the order the gateway holds them; a header with several values
// appears once per value (repeated entries). Pseudo-headers (:method, :path, :authority, :scheme,
// :status) are not listed: they are the dedicated fields above. A header value that is not
// well-formed UTF-8 is carried base64 and that entry gets "value-encoding": "base64"; header names,
// method, path, host and addresses are written with each ill-formed UTF-8 subpart replaced by \ufffd.
// Bodies: the captured bytes (at most the body limit) as text when they are well-formed UTF-8, else
// base64 ("body-encoding" says which; a cut that splits a multi-byte character makes the prefix
// ill-formed, so it travels base64: exactness first). "body-size" is the number of bytes that passed,
// captured or not. A body cut short adds {"name": "cq-body-truncated", "value": "true"} as the last
// entry of that side's headers.
import { JsonWriter } from "./json-writer";
import { Base64Stream } from "./base64";
import { BodyCapture } from "./body";
import { HeaderPairs, Slice } from "./header-pairs";
import { isValidUtf8 } from "./utf8";
import { splitHostPort } from "./address";

export const FORMAT_VERSION = "1.0";
/** source_info.type: the product type. */
export const PRODUCT_TYPE = "mulesoft-flex-gateway";
/** source_info.version: the policy's version (one place; the client's User-Agent may use it too). */
export const POLICY_VERSION = "1.0.0";
export const TRUNCATED_HEADER = "cq-body-truncated";

export class SourceInfo {
  constructor(public poolId: string = "", public instanceId: string = "") {}
}

/** Everything one stream contributed, as raw bytes: filled by the HTTP context, read by `serialize`. */
export class CapturedExchange {
  /** Request headers in the pairs encoding (as read in on_request_headers). */
  requestHeaders: ArrayBuffer | null = null;
  responseHeaders: ArrayBuffer | null = null;
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
  requestStartNs: u64 = 0;
  responseStartNs: u64 = 0;
  endNs: u64 = 0;
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
      if (pairs.nameIs(":method")) r.method.set(pairs.valuePtr, pairs.valueLen);
      else if (pairs.nameIs(":path")) r.path.set(pairs.valuePtr, pairs.valueLen);
      else if (pairs.nameIs(":authority")) r.authority.set(pairs.valuePtr, pairs.valueLen);
      else if (pairs.nameIs(":scheme")) r.scheme.set(pairs.valuePtr, pairs.valueLen);
    } else {
      r.headerCount++;
      if (!r.host.present && pairs.nameIs("host")) r.host.set(pairs.valuePtr, pairs.valueLen);
    }
  }
  pairs.rewind();
  return r;
}

function estimateSize(x: CapturedExchange): i32 {
  let n: i32 = 1024;
  const rh = x.requestHeaders;
  if (rh != null) n += rh.byteLength + (rh.byteLength >> 2);
  const sh = x.responseHeaders;
  if (sh != null) n += sh.byteLength + (sh.byteLength >> 2);
  const rb = x.requestBody;
  if (rb != null) n += rb.captured + (rb.captured >> 1);
  const sb = x.responseBody;
  if (sb != null) n += sb.captured + (sb.captured >> 1);
  return n;
}

// The format is fixed, so its punctuation and keys are written as literal fragments (one call each,
// commas included) and only values go through the JSON writer's escaping; none of this opens writer
// objects, so the writer adds no commas of its own.

function raw(w: JsonWriter, fragment: string): void {
  w.out.writeAscii(fragment);
}

function writeSliceOrEmpty(w: JsonWriter, s: Slice): void {
  if (s.present) w.stringLossy(s.ptr, s.len);
  else raw(w, "\"\"");
}

function writeHeaders(w: JsonWriter, pairs: HeaderPairs, truncated: bool): void {
  raw(w, "[");
  let first = true;
  pairs.rewind();
  while (pairs.next()) {
    if (pairs.isPseudo) continue;
    raw(w, first ? "{\"name\":" : ",{\"name\":");
    first = false;
    w.stringLossy(pairs.namePtr, pairs.nameLen);
    raw(w, ",\"value\":");
    if (isValidUtf8(pairs.valuePtr, <usize>pairs.valueLen)) {
      w.stringValidUtf8(pairs.valuePtr, pairs.valueLen);
      raw(w, "}");
    } else {
      w.stringBase64(pairs.valuePtr, pairs.valueLen);
      raw(w, ",\"value-encoding\":\"base64\"}");
    }
  }
  pairs.rewind();
  if (truncated) raw(w, first ? "{\"name\":\"cq-body-truncated\",\"value\":\"true\"}" : ",{\"name\":\"cq-body-truncated\",\"value\":\"true\"}");
  raw(w, "]");
}

/** ,"body":"…","body-encoding":"…","body-size":N */
function writeBody(w: JsonWriter, body: BodyCapture | null): void {
  raw(w, ",\"body\":\"");
  let text = true;
  let size: u64 = 0;
  if (body != null) {
    size = body.total;
    const chunks = body.chunks;
    if (body.isUtf8) {
      for (let i = 0; i < chunks.length; i++) {
        const c = unchecked(chunks[i]);
        w.escapedValid(changetype<usize>(c), c.byteLength);
      }
    } else {
      text = false;
      const b64 = new Base64Stream();
      for (let i = 0; i < chunks.length; i++) {
        const c = unchecked(chunks[i]);
        b64.write(w.out, changetype<usize>(c), c.byteLength);
      }
      b64.finish(w.out);
    }
  }
  raw(w, text ? "\",\"body-encoding\":\"utf8\",\"body-size\":" : "\",\"body-encoding\":\"base64\",\"body-size\":");
  w.out.writeU64(size);
}

function isTruncated(body: BodyCapture | null): bool {
  return body != null && body.truncated;
}

/** Writes the IP part of an "ip:port" property as a JSON string ("" when absent); returns its port or -1. */
function writeIp(w: JsonWriter, addr: ArrayBuffer | null): i32 {
  if (addr == null) {
    raw(w, "\"\"");
    return -1;
  }
  const p = changetype<usize>(addr);
  const hp = splitHostPort(p, addr.byteLength);
  w.stringLossy(p + <usize>hp.ipStart, hp.ipLen);
  return hp.port;
}

/** Serialises one transaction to the UTF-8 bytes of one JSON object. */
export function serializeTransaction(x: CapturedExchange, id: string, src: SourceInfo): ArrayBuffer {
  const w = new JsonWriter(estimateSize(x));
  const out = w.out;
  const reqPairs = new HeaderPairs(x.requestHeaders);
  const line = readRequestLine(reqPairs);

  raw(w, "{\"timestamp\":\"");
  out.writeU64(x.requestStartNs / 1000000000);
  raw(w, "\",\"version\":\"" + FORMAT_VERSION + "\",\"transaction-id\":");
  w.string(id);

  // request
  raw(w, ",\"request\":{\"client-ip\":");
  writeIp(w, x.sourceAddress);
  if (line.scheme.present) {
    raw(w, ",\"http-scheme\":");
    w.stringLossy(line.scheme.ptr, line.scheme.len);
  }
  const proto = x.protocol;
  if (proto != null && proto.byteLength > 0) {
    raw(w, ",\"http-version\":");
    w.stringLossy(changetype<usize>(proto), proto.byteLength);
  }
  raw(w, ",\"http-method\":");
  writeSliceOrEmpty(w, line.method);
  raw(w, ",\"uri-query-fragment\":");
  writeSliceOrEmpty(w, line.path);
  const host = line.authority.present ? line.authority : line.host;
  if (host.present) {
    raw(w, ",\"host\":");
    w.stringLossy(host.ptr, host.len);
  }
  raw(w, ",\"connection\":{\"connection-ip\":");
  let cport = writeIp(w, x.sourceAddress);
  if (cport < 0) cport = x.sourcePort;
  if (cport >= 0) {
    raw(w, ",\"connection-port\":");
    out.writeI64(cport);
  }
  raw(w, ",\"server-ip\":");
  let sport = writeIp(w, x.destinationAddress);
  if (sport < 0) sport = x.destinationPort;
  if (sport >= 0) {
    raw(w, ",\"server-port\":");
    out.writeI64(sport);
  }
  raw(w, "},\"headers\":");
  writeHeaders(w, reqPairs, isTruncated(x.requestBody));
  writeBody(w, x.requestBody);

  // response
  raw(w, "},\"response\":{\"status\":");
  out.writeI64(x.status);
  raw(w, ",\"headers\":");
  writeHeaders(w, new HeaderPairs(x.responseHeaders), isTruncated(x.responseBody));
  writeBody(w, x.responseBody);

  // txn-meta-data
  raw(w, "},\"txn-meta-data\":{\"source_info\":{\"version\":\"" + POLICY_VERSION + "\",\"type\":\"" + PRODUCT_TYPE + "\",\"pool_id\":");
  w.string(src.poolId);
  raw(w, ",\"instance_id\":");
  w.string(src.instanceId);
  raw(w, "},\"timing\":{\"request-start-ms\":");
  out.writeU64(x.requestStartNs / 1000000);
  raw(w, ",\"response-start-ms\":");
  out.writeU64(x.responseStartNs / 1000000);
  raw(w, ",\"end-ms\":");
  out.writeU64(x.endNs / 1000000);
  raw(w, ",\"duration-ms\":");
  out.writeU64(x.endNs > x.requestStartNs ? (x.endNs - x.requestStartNs) / 1000000 : 0);
  raw(w, "}}}");
  return w.toArrayBuffer();
}
