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

function writeSliceOrEmpty(w: JsonWriter, s: Slice): void {
  if (s.present) w.stringLossy(s.ptr, s.len);
  else w.asciiConst("");
}

function writeHeaders(w: JsonWriter, pairs: HeaderPairs, truncated: bool): void {
  w.beginArray();
  pairs.rewind();
  while (pairs.next()) {
    if (pairs.isPseudo) continue;
    w.beginObject();
    w.key("name");
    w.stringLossy(pairs.namePtr, pairs.nameLen);
    w.key("value");
    if (isValidUtf8(pairs.valuePtr, <usize>pairs.valueLen)) {
      w.stringValidUtf8(pairs.valuePtr, pairs.valueLen);
    } else {
      w.stringBase64(pairs.valuePtr, pairs.valueLen);
      w.key("value-encoding");
      w.asciiConst("base64");
    }
    w.endObject();
  }
  pairs.rewind();
  if (truncated) {
    w.beginObject();
    w.key("name");
    w.asciiConst(TRUNCATED_HEADER);
    w.key("value");
    w.asciiConst("true");
    w.endObject();
  }
  w.endArray();
}

function writeBody(w: JsonWriter, body: BodyCapture | null): void {
  w.key("body");
  w.openString();
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
  w.closeString();
  w.key("body-encoding");
  w.asciiConst(text ? "utf8" : "base64");
  w.key("body-size");
  w.unsigned(size);
}

function isTruncated(body: BodyCapture | null): bool {
  return body != null && body.truncated;
}

function writeIp(w: JsonWriter, addr: ArrayBuffer | null): i32 {
  if (addr == null) {
    w.asciiConst("");
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
  const reqPairs = new HeaderPairs(x.requestHeaders);
  const line = readRequestLine(reqPairs);

  w.beginObject();
  w.key("timestamp");
  w.openString();
  w.out.writeU64(x.requestStartNs / 1000000000);
  w.closeString();
  w.key("version");
  w.asciiConst(FORMAT_VERSION);
  w.key("transaction-id");
  w.string(id);

  // request
  w.key("request");
  w.beginObject();
  w.key("client-ip");
  writeIp(w, x.sourceAddress);
  if (line.scheme.present) {
    w.key("http-scheme");
    w.stringLossy(line.scheme.ptr, line.scheme.len);
  }
  const proto = x.protocol;
  if (proto != null && proto.byteLength > 0) {
    w.key("http-version");
    w.stringLossy(changetype<usize>(proto), proto.byteLength);
  }
  w.key("http-method");
  writeSliceOrEmpty(w, line.method);
  w.key("uri-query-fragment");
  writeSliceOrEmpty(w, line.path);
  const host = line.authority.present ? line.authority : line.host;
  if (host.present) {
    w.key("host");
    w.stringLossy(host.ptr, host.len);
  }
  w.key("connection");
  w.beginObject();
  w.key("connection-ip");
  let cport = writeIp(w, x.sourceAddress);
  if (cport < 0) cport = x.sourcePort;
  if (cport >= 0) {
    w.key("connection-port");
    w.integer(cport);
  }
  w.key("server-ip");
  let sport = writeIp(w, x.destinationAddress);
  if (sport < 0) sport = x.destinationPort;
  if (sport >= 0) {
    w.key("server-port");
    w.integer(sport);
  }
  w.endObject();
  w.key("headers");
  writeHeaders(w, reqPairs, isTruncated(x.requestBody));
  writeBody(w, x.requestBody);
  w.endObject();

  // response
  w.key("response");
  w.beginObject();
  w.key("status");
  w.integer(x.status);
  w.key("headers");
  writeHeaders(w, new HeaderPairs(x.responseHeaders), isTruncated(x.responseBody));
  writeBody(w, x.responseBody);
  w.endObject();

  // txn-meta-data
  w.key("txn-meta-data");
  w.beginObject();
  w.key("source_info");
  w.beginObject();
  w.key("version");
  w.asciiConst(POLICY_VERSION);
  w.key("type");
  w.asciiConst(PRODUCT_TYPE);
  w.key("pool_id");
  w.string(src.poolId);
  w.key("instance_id");
  w.string(src.instanceId);
  w.endObject();
  w.key("timing");
  w.beginObject();
  w.key("request-start-ms");
  w.unsigned(x.requestStartNs / 1000000);
  w.key("response-start-ms");
  w.unsigned(x.responseStartNs / 1000000);
  w.key("end-ms");
  w.unsigned(x.endNs / 1000000);
  w.key("duration-ms");
  w.unsigned(x.endNs > x.requestStartNs ? (x.endNs - x.requestStartNs) / 1000000 : 0);
  w.endObject();
  w.endObject();

  w.endObject();
  return w.toArrayBuffer();
}
