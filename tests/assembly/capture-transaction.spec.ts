import { JSON } from "assemblyscript-json/assembly";
import {
  CapturedExchange, SourceInfo, serializeTransaction, readRequestLine,
  FORMAT_VERSION, PRODUCT_TYPE,
} from "../../assembly/capture/transaction";
import { POLICY_VERSION } from "../../assembly/version";
import { utf8 as utf8Literal } from "../../assembly/literals";
import { HeaderPairs, encodePairs, encodePairsBytes } from "../../assembly/capture/header-pairs";
import { splitHostPort, portFromInt64, parsePort } from "../../assembly/capture/address";
import { BodyCapture } from "../../assembly/capture/body";
import { base64Encode } from "../../assembly/capture/base64";
import { bytesOf, jsonProblem, ptrOf, utf8, slice, Rng, serialize, raw } from "./capture-helpers";

const REQ_NAMES: string[] = [":authority", ":path", ":method", ":scheme", "accept", "x-multi", "x-multi", "content-type", "x-quote"];
const REQ_VALUES: string[] = ["api.example.com", "/v1/items?id=7&q=a%20b", "POST", "https", "*/*", "one", "two", "application/json", "say \"hi\"\\ now"];
const RESP_NAMES: string[] = [":status", "content-type", "set-cookie", "set-cookie"];
const RESP_VALUES: string[] = ["201", "application/json", "a=1", "b=2"];

function body(limit: i32, data: ArrayBuffer, chunk: i32): BodyCapture {
  const b = new BodyCapture(limit);
  let pos = 0;
  const n = data.byteLength;
  while (pos < n) {
    const size = pos + chunk > n ? n - pos : chunk;
    const want = b.wanted(<u32>size);
    b.add(<u32>size, want > 0 ? slice(data, pos, pos + <i32>want) : null);
    pos += size;
  }
  return b;
}

function exchange(reqBody: ArrayBuffer, respBody: ArrayBuffer, limit: i32): CapturedExchange {
  const x = new CapturedExchange();
  x.requestHeaders = raw(encodePairs(REQ_NAMES, REQ_VALUES));
  x.responseHeaders = raw(encodePairs(RESP_NAMES, RESP_VALUES));
  x.requestBody = body(limit, reqBody, 7);
  x.responseBody = body(limit, respBody, 5);
  x.sourceAddress = utf8("203.0.113.7:51234");
  x.destinationAddress = utf8("[2001:db8::1]:8081");
  x.protocol = utf8("HTTP/1.1");
  x.status = 201;
  x.requestStartNs = 1732230000123456789;
  return x;
}

function parse(doc: ArrayBuffer): JSON.Obj {
  const problem = jsonProblem(doc);
  expect(problem).toBe("");
  return <JSON.Obj>JSON.parse(Uint8Array.wrap(doc));
}

function str(o: JSON.Obj, key: string): string {
  const v = o.getString(key);
  expect(v != null).toBe(true, "missing string " + key);
  return v!.valueOf();
}

function int(o: JSON.Obj, key: string): i64 {
  const v = o.getInteger(key);
  expect(v != null).toBe(true, "missing integer " + key);
  return v!.valueOf();
}

function obj(o: JSON.Obj, key: string): JSON.Obj {
  const v = o.getObj(key);
  expect(v != null).toBe(true, "missing object " + key);
  return v!;
}

/** The side's headers: each entry a string "<name>:<base64 of the value>". */
function headerList(side: JSON.Obj): string[] {
  const a = side.getArr("headers");
  expect(a != null).toBe(true, "missing headers");
  const vals = a!.valueOf();
  const out = new Array<string>();
  for (let i = 0; i < vals.length; i++) {
    expect(vals[i].isString).toBe(true, "header entry is not a string");
    out.push((<JSON.Str>vals[i]).valueOf());
  }
  return out;
}

function b64(bytes: ArrayBuffer): string {
  return base64Encode(Uint8Array.wrap(bytes));
}

/** The wire entry of one header: name, ':', base64 of the value. */
function entry(name: string, value: string): string {
  return name + ":" + b64(utf8(value));
}

/** The base64 values of every entry named `name`. */
function headerValues(side: JSON.Obj, name: string): string[] {
  const hs = headerList(side);
  const out = new Array<string>();
  for (let i = 0; i < hs.length; i++) if (hs[i].startsWith(name + ":")) out.push(hs[i].substr(name.length + 1));
  return out;
}

function expectBody(side: JSON.Obj, bytes: ArrayBuffer): void {
  const body = obj(side, "body");
  expect(body.keys.length).toBe(2, "body is exactly {length, data}");
  expect(int(body, "length")).toBe(bytes.byteLength);
  expect(str(body, "data")).toBe(b64(bytes));
}

const TRUNCATED = "cq-body-truncated:dHJ1ZQ==";

describe("transaction: top level and request fields", () => {
  it("has the Cequence top-level fields", () => {
    const t = parse(serialize(exchange(utf8("{\"a\":1}"), utf8("{\"ok\":true}"), 32768), "0123456789abcdef0123456789abcdef", new SourceInfo("api-1", "gw-1")));
    expect(t.keys.length).toBe(6);
    expect(str(t, "timestamp")).toBe("1732230000.123");
    expect(str(t, "version")).toBe(FORMAT_VERSION);
    expect(FORMAT_VERSION).toBe("1.0");
    expect(str(t, "transaction-id")).toBe("0123456789abcdef0123456789abcdef");
    const r = obj(t, "request");
    expect(str(r, "client-ip")).toBe("203.0.113.7");
    expect(str(r, "http-scheme")).toBe("https");
    expect(str(r, "http-version")).toBe("1.1");
    expect(str(r, "http-method")).toBe("POST");
    expect(str(r, "uri-query-fragment")).toBe("/v1/items?id=7&q=a%20b");
    expect(str(r, "host")).toBe("api.example.com");
    const c = obj(r, "connection");
    expect(str(c, "connection-ip")).toBe("203.0.113.7");
    expect(int(c, "connection-port")).toBe(51234);
    expect(str(c, "server-ip")).toBe("2001:db8::1");
    expect(int(c, "server-port")).toBe(8081);
    expect(c.has("transaction-depth")).toBe(false);
    const m = obj(t, "txn-meta-data");
    expect(m.keys.length).toBe(1);
    const s = obj(m, "source_info");
    expect(str(s, "version")).toBe(POLICY_VERSION);
    expect(str(s, "type")).toBe(PRODUCT_TYPE);
    expect(str(s, "pool_id")).toBe("api-1");
    expect(str(s, "instance_id")).toBe("gw-1");
    const resp = obj(t, "response");
    expect(resp.keys.length).toBe(3);
    expect(str(resp, "status-code")).toBe("201");
  });

  it("writes the timestamp with three decimals, zeros kept", () => {
    const x = exchange(utf8(""), utf8(""), 10);
    x.requestStartNs = 1732230000005000000;
    expect(str(parse(serialize(x, "id", new SourceInfo())), "timestamp")).toBe("1732230000.005");
    x.requestStartNs = 1732230000999999999;
    expect(str(parse(serialize(x, "id", new SourceInfo())), "timestamp")).toBe("1732230000.999");
  });

  it("writes http-version without HTTP/ for every protocol Envoy reports", () => {
    const protos = ["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3", "SPDY"];
    const want = ["1.0", "1.1", "2", "3", "SPDY"];
    for (let i = 0; i < protos.length; i++) {
      const x = exchange(utf8(""), utf8(""), 10);
      x.protocol = utf8(protos[i]);
      expect(str(obj(parse(serialize(x, "id", new SourceInfo())), "request"), "http-version")).toBe(want[i]);
    }
  });

  it("lists regular headers in order as name:base64 entries, one per value, pseudo-headers left out", () => {
    const t = parse(serialize(exchange(utf8(""), utf8(""), 32768), "id", new SourceInfo()));
    const r = obj(t, "request");
    const hs = headerList(r);
    expect(hs.length).toBe(5);
    expect(hs[0]).toBe(entry("accept", "*/*"));
    expect(hs[1]).toBe(entry("x-multi", "one"));
    expect(hs[2]).toBe(entry("x-multi", "two"));
    expect(hs[3]).toBe(entry("content-type", "application/json"));
    expect(hs[4]).toBe(entry("x-quote", "say \"hi\"\\ now"));
    for (let i = 0; i < hs.length; i++) expect(hs[i].startsWith(":")).toBe(false);
    const resp = obj(t, "response");
    const rh = headerList(resp);
    expect(rh.length).toBe(3);
    expect(rh[1]).toBe(entry("set-cookie", "a=1"));
    expect(rh[2]).toBe(entry("set-cookie", "b=2"));
  });

  it("writes an empty header value as name: with nothing after", () => {
    const x = exchange(utf8(""), utf8(""), 10);
    x.requestHeaders = raw(encodePairs([":method", ":path", "x-empty"], ["GET", "/", ""]));
    const hs = headerList(obj(parse(serialize(x, "id", new SourceInfo())), "request"));
    expect(hs.length).toBe(1);
    expect(hs[0]).toBe("x-empty:");
  });

  it("falls back to the host header, and to the port properties", () => {
    const x = exchange(utf8(""), utf8(""), 100);
    x.requestHeaders = raw(encodePairs([":method", ":path", "host"], ["GET", "/", "h.example:8080"]));
    x.sourceAddress = utf8("10.0.0.1");
    x.sourcePort = 4444;
    x.destinationAddress = null;
    x.destinationPort = 80;
    x.protocol = null;
    const t = parse(serialize(x, "id", new SourceInfo()));
    const r = obj(t, "request");
    expect(str(r, "host")).toBe("h.example:8080");
    expect(r.has("http-version")).toBe(false);
    expect(r.has("http-scheme")).toBe(false);
    const c = obj(r, "connection");
    expect(str(c, "connection-ip")).toBe("10.0.0.1");
    expect(int(c, "connection-port")).toBe(4444);
    expect(str(c, "server-ip")).toBe("");
    expect(int(c, "server-port")).toBe(80);
  });
});

describe("transaction: bodies", () => {
  it("carries a text body as {length, data} with data the base64 of its bytes", () => {
    const reqText = "{\"name\":\"Zoë\",\"note\":\"line1\\nline2\",\"ctl\":\"\u0001\"}";
    const t = parse(serialize(exchange(utf8(reqText), utf8("é"), 32768), "id", new SourceInfo()));
    const r = obj(t, "request");
    expectBody(r, utf8(reqText));
    expect(headerValues(r, "cq-body-truncated").length).toBe(0);
    expectBody(obj(t, "response"), utf8("é"));
  });

  it("carries a binary body the same way", () => {
    const bin = bytesOf([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);
    const t = parse(serialize(exchange(utf8("x"), bin, 32768), "id", new SourceInfo()));
    expectBody(obj(t, "response"), bin);
  });

  it("cuts at the limit, length counts the bytes carried, and cq-body-truncated:dHJ1ZQ== ends that side's headers only", () => {
    const big = new ArrayBuffer(100);
    for (let i = 0; i < 100; i++) store<u8>(changetype<usize>(big) + <usize>i, <u8>(0x41 + (i % 26)));
    const t = parse(serialize(exchange(big, utf8("short"), 64), "id", new SourceInfo()));
    const r = obj(t, "request");
    expectBody(r, slice(big, 0, 64));
    const hs = headerList(r);
    expect(hs[hs.length - 1]).toBe(TRUNCATED);
    expect(TRUNCATED).toBe("cq-body-truncated:" + b64(utf8("true")));
    expect(headerValues(r, "cq-body-truncated").length).toBe(1);
    expect(headerValues(obj(t, "response"), "cq-body-truncated").length).toBe(0);
  });

  it("is not truncated at exactly the limit, and is at limit + 1", () => {
    const at = parse(serialize(exchange(utf8("abcd"), utf8("abcde"), 4), "id", new SourceInfo()));
    expect(headerValues(obj(at, "request"), "cq-body-truncated").length).toBe(0);
    expect(headerValues(obj(at, "response"), "cq-body-truncated").length).toBe(1);
    expectBody(obj(at, "response"), utf8("abcd"));
  });

  it("keeps a prefix cut inside a character exact", () => {
    const t = parse(serialize(exchange(utf8("€€"), utf8(""), 4), "id", new SourceInfo()));
    expectBody(obj(t, "request"), slice(utf8("€€"), 0, 4));
  });

  it("writes an absent or empty body as {length: 0, data: \"\"}", () => {
    const x = exchange(utf8(""), utf8(""), 10);
    x.requestBody = null;
    const t = parse(serialize(x, "id", new SourceInfo()));
    expectBody(obj(t, "request"), new ArrayBuffer(0));
    expectBody(obj(t, "response"), new ArrayBuffer(0));
  });

  it("marks a side whose limit is 0 as truncated when bytes passed", () => {
    const t = parse(serialize(exchange(utf8("abc"), utf8(""), 0), "id", new SourceInfo()));
    const r = obj(t, "request");
    expectBody(r, new ArrayBuffer(0));
    expect(headerList(r)[headerList(r).length - 1]).toBe(TRUNCATED);
  });
});

describe("transaction: hostile bytes", () => {
  it("carries any header value exactly (base64), and replaces ill-formed bytes in names and paths", () => {
    const x = exchange(utf8(""), utf8(""), 10);
    const names = [utf8(":method"), utf8(":path"), utf8("x-raw"), bytesOf([0x78, 0xff]), utf8("x-q\"")];
    const values = [utf8("GET"), bytesOf([0x2f, 0xc0, 0x22]), bytesOf([0x61, 0xff, 0x00, 0x22]), utf8("v"), utf8("w")];
    x.requestHeaders = raw(encodePairsBytes(names, values));
    const t = parse(serialize(x, "id", new SourceInfo()));
    const r = obj(t, "request");
    expect(str(r, "uri-query-fragment")).toBe("/\uFFFD\"");
    const hs = headerList(r);
    expect(hs[0]).toBe("x-raw:" + b64(bytesOf([0x61, 0xff, 0x00, 0x22])));
    expect(hs[1]).toBe("x\uFFFD:" + b64(utf8("v")));
    expect(hs[2]).toBe("x-q\":" + b64(utf8("w")));
  });

  it("stays valid JSON for random header bytes and random bodies", () => {
    const rng = new Rng(4242);
    for (let round = 0; round < 150; round++) {
      const n = rng.below(6);
      const ns = new Array<ArrayBuffer>();
      const vs = new Array<ArrayBuffer>();
      for (let i = 0; i < n; i++) {
        ns.push(rng.bytes(1 + rng.below(8)));
        vs.push(rng.bytes(rng.below(20)));
      }
      const x = exchange(rng.bytes(rng.below(80)), rng.bytes(rng.below(80)), rng.below(60));
      x.requestHeaders = raw(encodePairsBytes(ns, vs));
      x.responseHeaders = raw(encodePairsBytes(vs, ns));
      x.sourceAddress = rng.bytes(rng.below(12));
      x.protocol = rng.bytes(rng.below(5));
      expect(jsonProblem(serialize(x, "id", new SourceInfo("p\"\u0001", "i\\")))).toBe("");
    }
  });
});

describe("header pairs: reading the host encoding", () => {
  it("iterates names and values and counts regular headers", () => {
    const p = new HeaderPairs(encodePairs(REQ_NAMES, REQ_VALUES));
    expect(p.count).toBe(9);
    expect(p.regularCount()).toBe(5);
    expect(p.find(utf8Literal(":path"))).toBe(true);
    expect(p.valueString()).toBe("/v1/items?id=7&q=a%20b");
    expect(p.find(utf8Literal("x-none"))).toBe(false);
    const line = readRequestLine(p);
    expect(line.method.toString()).toBe("POST");
    expect(line.headerCount).toBe(5);
  });
  it("never reads past a truncated or lying buffer", () => {
    const good = encodePairs(["a", "bb"], ["1", "22"]);
    for (let cut = 0; cut <= good.byteLength; cut++) {
      const p = new HeaderPairs(good.slice(0, cut));
      let n = 0;
      while (p.next()) n++;
      expect(n <= 2).toBe(true);
      expect(n).toBe(p.count);
    }
    expect(new HeaderPairs(good).count).toBe(2);
    const liar = bytesOf([0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0]);
    expect(new HeaderPairs(liar).count).toBe(0);
    const big = bytesOf([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61, 0, 0x62, 0]);
    expect(new HeaderPairs(big).count).toBe(0);
    expect(new HeaderPairs(null).count).toBe(0);
    expect(new HeaderPairs(new ArrayBuffer(0)).count).toBe(0);
  });
  it("serialises a transaction from malformed pairs without trapping", () => {
    const x = exchange(utf8(""), utf8(""), 10);
    x.requestHeaders = raw(bytesOf([5, 0, 0, 0, 3, 0, 0, 0]));
    x.responseHeaders = null;
    expect(jsonProblem(serialize(x, "id", new SourceInfo()))).toBe("");
  });
});

describe("addresses and ports", () => {
  it("splits ip:port, [v6]:port and bare addresses", () => {
    const a = utf8("192.168.1.10:8081");
    const h = splitHostPort(ptrOf(a), a.byteLength);
    expect(h.ipStart).toBe(0);
    expect(h.ipLen).toBe(12);
    expect(h.port).toBe(8081);
    const b = utf8("[::1]:443");
    const hb = splitHostPort(ptrOf(b), b.byteLength);
    expect(hb.ipStart).toBe(1);
    expect(hb.ipLen).toBe(3);
    expect(hb.port).toBe(443);
    const c = utf8("fe80::1");
    const hc = splitHostPort(ptrOf(c), c.byteLength);
    expect(hc.ipLen).toBe(7);
    expect(hc.port).toBe(-1);
    const d = utf8("1.2.3.4:99999");
    expect(splitHostPort(ptrOf(d), d.byteLength).port).toBe(-1);
    const e = utf8("[::1");
    expect(splitHostPort(ptrOf(e), e.byteLength).ipLen).toBe(4);
  });
  it("reads 8-byte little-endian port properties", () => {
    expect(portFromInt64(bytesOf([0x90, 0x1f, 0, 0, 0, 0, 0, 0]))).toBe(8080);
    expect(portFromInt64(bytesOf([0x90, 0x1f]))).toBe(-1);
    expect(portFromInt64(null)).toBe(-1);
    expect(portFromInt64(bytesOf([0, 0, 1, 0, 0, 0, 0, 0]))).toBe(-1);
    const p = utf8("65535");
    expect(parsePort(ptrOf(p), 5)).toBe(65535);
  });
});
