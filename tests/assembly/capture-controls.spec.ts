import { parseConfigString, Config } from "../../assembly/config/config";
import { CaptureControls, isJsonContentType } from "../../assembly/capture/controls";
import { redactJson } from "../../assembly/capture/json-redact";
import { utf8, ptrOf, slice, Rng, raws, raw, serialize } from "./capture-helpers";
import { CapturedExchange, SourceInfo } from "../../assembly/capture/transaction";
import { BodyCapture } from "../../assembly/capture/body";
import { encodePairs } from "../../assembly/capture/header-pairs";
import { checkJson } from "../../assembly/config/json";

const BASE = '"cequenceAuthUrl":"https://a.example.com","cequenceEdgeUrl":"https://e.example.com","cequenceAuthEnabled":false';

function configWith(fields: string): Config {
  const r = parseConfigString("{" + BASE + "," + fields + "}");
  expect(r.error).toBe("");
  return r.config!;
}

function errorOf(fields: string): string {
  return parseConfigString("{" + BASE + "," + fields + "}").error;
}

function controls(fields: string): CaptureControls {
  return CaptureControls.from(configWith(fields));
}

function excluded(k: CaptureControls, method: string, path: string): bool {
  const m = utf8(method);
  const p = utf8(path);
  return k.excluded(ptrOf(p), p.byteLength, ptrOf(m), m.byteLength);
}

function redactsHeader(k: CaptureControls, name: string): bool {
  const b = utf8(name);
  return k.redactsHeader(ptrOf(b), b.byteLength);
}

function skips(k: CaptureControls, ct: string): bool {
  const b = utf8(ct);
  return k.skipsContentType(ptrOf(b), b.byteLength);
}

function json(ct: string): bool {
  const b = utf8(ct);
  return isJsonContentType(ptrOf(b), b.byteLength);
}

/** The redacted body as text, the input cut into chunks of `chunk` bytes. */
function redact(text: string, keys: string[], chunk: i32 = 1 << 20): string {
  const data = utf8(text);
  const chunks = new Array<ArrayBuffer>();
  for (let pos = 0; pos < data.byteLength; pos += chunk) chunks.push(slice(data, pos, min(pos + chunk, data.byteLength)));
  const ks = new Array<ArrayBuffer>();
  for (let i = 0; i < keys.length; i++) ks.push(utf8(keys[i]));
  return String.UTF8.decode(redactJson(raws(chunks), ks, data.byteLength).bytes);
}

describe("cequenceExcludePaths / cequenceExcludeMethods", () => {
  it("excludes a path equal to an entry, or starting with an entry's text before a trailing *", () => {
    const k = controls('"cequenceExcludePaths":["/health","/static/*"],"cequenceExcludeMethods":["OPTIONS"]');
    expect(k.excludes).toBe(true);
    expect(excluded(k, "GET", "/health")).toBe(true);
    expect(excluded(k, "GET", "/health?probe=1")).toBe(true);
    expect(excluded(k, "GET", "/health#top")).toBe(true);
    expect(excluded(k, "GET", "/healthz")).toBe(false);
    expect(excluded(k, "GET", "/health/")).toBe(false);
    expect(excluded(k, "GET", "/static/app.js")).toBe(true);
    expect(excluded(k, "GET", "/static/")).toBe(true);
    expect(excluded(k, "GET", "/statics")).toBe(false);
    expect(excluded(k, "GET", "/static")).toBe(false);
    expect(excluded(k, "GET", "/api/health")).toBe(false);
    expect(excluded(k, "OPTIONS", "/api")).toBe(true);
    expect(excluded(k, "options", "/api")).toBe(false); // methods are case-sensitive
    expect(excluded(k, "GET", "")).toBe(false);
  });
  it("excludes nothing by default", () => {
    const k = controls('"enableDebugLogs":false');
    expect(k.excludes).toBe(false);
    expect(k.skipsBodies).toBe(false);
    expect(k.redactsHeaders).toBe(false);
    expect(k.redactsJson).toBe(false);
    expect(excluded(k, "OPTIONS", "/health")).toBe(false);
  });
  it("a lone /* excludes everything", () => {
    const k = controls('"cequenceExcludePaths":["/*"]');
    expect(excluded(k, "GET", "/")).toBe(true);
    expect(excluded(k, "GET", "/anything?x")).toBe(true);
  });
});

describe("cequenceRedactHeaders / cequenceSkipBodyContentTypes matchers", () => {
  it("compares header names case-insensitively", () => {
    const k = controls('"cequenceRedactHeaders":["Authorization","set-cookie"]');
    expect(redactsHeader(k, "authorization")).toBe(true);
    expect(redactsHeader(k, "AUTHORIZATION")).toBe(true);
    expect(redactsHeader(k, "set-cookie")).toBe(true);
    expect(redactsHeader(k, "authorization2")).toBe(false);
    expect(redactsHeader(k, "cookie")).toBe(false);
  });
  it("matches media types and whole types, ignoring parameters, spaces and case", () => {
    const k = controls('"cequenceSkipBodyContentTypes":["image/*","application/octet-stream"]');
    expect(skips(k, "image/png")).toBe(true);
    expect(skips(k, "Image/PNG; q=1")).toBe(true);
    expect(skips(k, " application/octet-stream ; x=y")).toBe(true);
    expect(skips(k, "image/")).toBe(false);
    expect(skips(k, "imagex/png")).toBe(false);
    expect(skips(k, "application/octet-streamx")).toBe(false);
    expect(skips(k, "application/json")).toBe(false);
    expect(skips(k, "")).toBe(false);
  });
  it("recognises JSON content types", () => {
    expect(json("application/json")).toBe(true);
    expect(json("Application/JSON; charset=utf-8")).toBe(true);
    expect(json("application/problem+json")).toBe(true);
    expect(json("application/vnd.api+json;v=2")).toBe(true);
    expect(json("text/plain")).toBe(false);
    expect(json("application/jsonx")).toBe(false);
    expect(json("+json")).toBe(false);
  });
});

describe("capture controls: configuration errors name the field", () => {
  it("refuses a wrong type, a bad entry, too many entries", () => {
    expect(errorOf('"cequenceExcludePaths":"/health"')).toBe("cequenceExcludePaths: must be an array of strings");
    expect(errorOf('"cequenceExcludePaths":["health"]')).toBe("cequenceExcludePaths: entry 0 (\"health\") must start with '/'");
    expect(errorOf('"cequenceExcludePaths":["/a*b"]')).toBe("cequenceExcludePaths: entry 0 (\"/a*b\") may hold '*' only as its last character");
    expect(errorOf('"cequenceExcludePaths":[1]')).toBe("cequenceExcludePaths: entry 0 must be a string");
    expect(errorOf('"cequenceExcludeMethods":["GE T"]').startsWith("cequenceExcludeMethods: entry 0")).toBe(true);
    expect(errorOf('"cequenceRedactHeaders":[":path"]')).toBe("cequenceRedactHeaders: entry 0 (\":path\") is a pseudo-header, which cannot be listed");
    expect(errorOf('"cequenceRedactJsonFields":[""]').startsWith("cequenceRedactJsonFields: entry 0 must be 1 to 256")).toBe(true);
    expect(errorOf('"cequenceSkipBodyContentTypes":["image"]')).toBe("cequenceSkipBodyContentTypes: entry 0 (\"image\") must be a media type type/subtype or type/*");
    expect(errorOf('"cequenceSkipBodyContentTypes":["*/*"]').length > 0).toBe(true);
    let many = "";
    for (let i = 0; i < 65; i++) many += (i > 0 ? "," : "") + "\"/p" + i.toString() + "\"";
    expect(errorOf('"cequenceExcludePaths":[' + many + "]")).toBe("cequenceExcludePaths: must have at most 64 entries, got 65");
    expect(errorOf('"cequenceExcludePaths":null')).toBe("");
  });
});

describe("cequenceRedactJsonFields: the JSON redactor", () => {
  it("replaces values of every type, at any depth, in arrays of objects", () => {
    const keys = ["password", "cardNumber"];
    expect(redact('{"user":"a","password":"s3cret"}', keys)).toBe('{"user":"a","password":"[REDACTED]"}');
    expect(redact('{"cardNumber":4111111111111111,"n":1}', keys)).toBe('{"cardNumber":"[REDACTED]","n":1}');
    expect(redact('{"password":{"old":"x","new":["y",{"z":1}]},"k":true}', keys)).toBe('{"password":"[REDACTED]","k":true}');
    expect(redact('[{"password":null},{"a":{"b":{"cardNumber":[1,2,3]}}}]', keys)).toBe('[{"password":"[REDACTED]"},{"a":{"b":{"cardNumber":"[REDACTED]"}}}]');
    expect(redact('{ "password" :\n  false , "x": "password"}', keys)).toBe('{ "password" :\n  "[REDACTED]" , "x": "password"}');
    expect(redact('["password", "cardNumber"]', keys)).toBe('["password", "cardNumber"]');
    expect(redact('{"passwordx":"keep","xpassword":"keep"}', keys)).toBe('{"passwordx":"keep","xpassword":"keep"}');
  });
  it("decodes escaped keys and honours escapes in skipped values", () => {
    const keys = ["password"];
    expect(redact('{"pass\\u0077ord":"x"}', keys)).toBe('{"pass\\u0077ord":"[REDACTED]"}');
    expect(redact('{"password":"a\\"b\\\\","next":"c"}', keys)).toBe('{"password":"[REDACTED]","next":"c"}');
    expect(redact('{"password":{"s":"}]\\"{"},"next":1}', keys)).toBe('{"password":"[REDACTED]","next":1}');
    expect(redact('{"p\\u00e4ss":1}', ["päss"])).toBe('{"p\\u00e4ss":"[REDACTED]"}');
    expect(redact('{"\\ud83d\\ude00":1}', ["😀"])).toBe('{"\\ud83d\\ude00":"[REDACTED]"}');
  });
  it("gives the same result whatever the chunking, keys and values split across chunks", () => {
    const doc = '{"a":[{"password":"s3cr\\"et","cardNumber":4111},{"pass\\u0077ord":{"x":[1,"}"]}}],"b":"password","c":-1.5e3}';
    const want = redact(doc, ["password", "cardNumber"]);
    expect(want).toBe('{"a":[{"password":"[REDACTED]","cardNumber":"[REDACTED]"},{"pass\\u0077ord":"[REDACTED]"}],"b":"password","c":-1.5e3}');
    for (let chunk = 1; chunk < 20; chunk++) expect(redact(doc, ["password", "cardNumber"], chunk)).toBe(want, "chunk " + chunk.toString());
  });
  it("redacts a value cut by the body limit, and keeps nothing of it", () => {
    expect(redact('{"a":1,"password":"s3cr', ["password"])).toBe('{"a":1,"password":"[REDACTED]"');
    expect(redact('{"password":{"x":[1,2', ["password"])).toBe('{"password":"[REDACTED]"');
    expect(redact('{"cardNumber":41111', ["cardNumber"])).toBe('{"cardNumber":"[REDACTED]"');
    expect(redact('{"password"', ["password"])).toBe('{"password"');
  });
  it("leaves invalid JSON as it is, but still redacts where a key is recognisable", () => {
    expect(redact('not json at all', ["password"])).toBe("not json at all");
    expect(redact('{"password":"x",,,"y":}', ["password"])).toBe('{"password":"[REDACTED]",,,"y":}');
    expect(redact('garbage "password": 123 more', ["password"])).toBe('garbage "password": "[REDACTED]" more');
  });
  it("passes bytes that are not UTF-8 through, and redacts around them", () => {
    const b = new ArrayBuffer(4);
    store<u8>(ptrOf(b), 0xff); store<u8>(ptrOf(b) + 1, 0xfe); store<u8>(ptrOf(b) + 2, 0x80); store<u8>(ptrOf(b) + 3, 0x22);
    const head = utf8('{"x":"'), tail = utf8(',"password":"\xff\xfe"}');
    const out = redactJson(raws([head, b, tail]), [utf8("password")], 64).bytes;
    const text = String.UTF8.decode(slice(out, out.byteLength - 25, out.byteLength));
    expect(text.endsWith('"password":"[REDACTED]"}')).toBe(true);
    expect(out.byteLength).toBe(head.byteLength + 4 + 25);
  });
  it("keeps valid JSON valid on random documents", () => {
    const rng = new Rng(77);
    const keys = ["password", "k1"];
    for (let round = 0; round < 200; round++) {
      const doc = randomJson(rng, 0);
      const out = redact(doc, keys, 1 + rng.below(9));
      expect(checkJson(Uint8Array.wrap(utf8(out)))).toBe("", doc + " -> " + out);
      expect(out.includes("SECRET")).toBe(false, doc + " -> " + out);
    }
  });
});

/** A random JSON document whose members keyed password / k1 hold the word SECRET somewhere in their value. */
function randomJson(rng: Rng, depth: i32): string {
  const r = depth > 3 ? rng.below(4) : rng.below(7);
  if (r == 0) return "1" + rng.below(1000).toString();
  if (r == 1) return '"s' + rng.below(10).toString() + '\\"q"';
  if (r == 2) return rng.below(2) == 0 ? "true" : "null";
  if (r == 3) return "-2.5e" + rng.below(5).toString();
  if (r == 4) {
    let s = "[";
    const n = rng.below(4);
    for (let i = 0; i < n; i++) s += (i > 0 ? "," : "") + randomJson(rng, depth + 1);
    return s + "]";
  }
  let s = "{";
  const n = 1 + rng.below(4);
  for (let i = 0; i < n; i++) {
    const secret = rng.below(3) == 0;
    const key = secret ? (rng.below(2) == 0 ? "password" : "k\\u0031") : "f" + i.toString();
    const value = secret ? (rng.below(2) == 0 ? '"SECRET"' : '{"x":["SECRET",' + randomJson(rng, depth + 1) + "]}") : randomJson(rng, depth + 1);
    s += (i > 0 ? " , " : "") + '"' + key + '" : ' + value;
  }
  return s + "}";
}

describe("capture controls: the whole transaction", () => {
  it("is sized exactly and built byte for byte with redacted headers and JSON bodies, whatever the values", () => {
    const k = controls('"cequenceRedactHeaders":["authorization","x-key"],"cequenceRedactJsonFields":["password","t"]');
    const rng = new Rng(11);
    for (let round = 0; round < 40; round++) {
      const x = new CapturedExchange();
      const secret = "Q7%".repeat(1 + rng.below(13));
      x.requestHeaders = raw(encodePairs([":method", ":path", "authorization", "x-key", "content-type"], ["POST", "/login?x=\u0001", secret, "", "application/json"]));
      x.responseHeaders = raw(encodePairs([":status", "content-type"], ["200", "application/json"]));
      const doc = utf8('{"user":"u","password":"' + secret + '","t":' + rng.below(100000).toString() + ',"n":[1,{"t":"x"}]}');
      const rq = new BodyCapture(32768);
      rq.add(<u32>doc.byteLength, doc);
      x.requestBody = rq;
      const sb = utf8('[{"t":"' + "é".repeat(rng.below(5)) + '"}]');
      const rs = new BodyCapture(rng.below(sb.byteLength + 1)); // sometimes cut: redaction of a truncated document
      rs.add(<u32>sb.byteLength, sb);
      x.responseBody = rs;
      x.sourceAddress = utf8("203.0.113.7:51234");
      x.status = 200;
      const out = String.UTF8.decode(serialize(x, "id", new SourceInfo("pool", "gw"), k));
      expect(out.includes(secret)).toBe(false, "a redacted value travels");
    }
  });
});
