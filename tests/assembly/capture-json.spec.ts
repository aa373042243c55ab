import { JsonWriter } from "../../assembly/capture/json-writer";
import { JSON } from "assemblyscript-json/assembly";
import { bytesOf, jsonProblem, ptrOf, utf8, Rng } from "./capture-helpers";

function lossy(arr: u8[]): string {
  const w = new JsonWriter(8);
  const b = bytesOf(arr);
  w.stringLossy(ptrOf(b), b.byteLength);
  return w.toString();
}

function valid(s: string): string {
  const w = new JsonWriter(8);
  const b = utf8(s);
  w.stringLossy(ptrOf(b), b.byteLength);
  return w.toString();
}

function hex2(b: i32): string {
  const h = "0123456789abcdef";
  return h.charAt(b >> 4) + h.charAt(b & 15);
}

describe("json: escaping", () => {
  it("escapes every byte 0x00..0x1F", () => {
    for (let b = 0; b < 0x20; b++) {
      let expected = "\"\\u00" + hex2(b) + "\"";
      if (b == 0x08) expected = "\"\\b\"";
      else if (b == 0x09) expected = "\"\\t\"";
      else if (b == 0x0a) expected = "\"\\n\"";
      else if (b == 0x0d) expected = "\"\\r\"";
      expect(lossy([<u8>b])).toBe(expected, "byte " + b.toString());
      expect(valid(String.fromCharCode(b))).toBe(expected, "byte " + b.toString());
    }
  });
  it("escapes quote, backslash and DEL; leaves / and other printable ASCII alone", () => {
    expect(lossy([0x22])).toBe("\"\\\"\"");
    expect(lossy([0x5c])).toBe("\"\\\\\"");
    expect(lossy([0x7f])).toBe("\"\\u007f\"");
    expect(valid("a/b c~{}[]:,'")).toBe("\"a/b c~{}[]:,'\"");
  });
  it("copies well-formed multi-byte UTF-8 verbatim", () => {
    expect(valid("é€😀")).toBe("\"é€😀\"");
    expect(lossy([0xc3, 0xa9, 0x41])).toBe("\"éA\"");
  });
  it("replaces each maximal ill-formed subpart with \\ufffd", () => {
    expect(lossy([0xff])).toBe("\"\\ufffd\"");
    expect(lossy([0x41, 0x80, 0x42])).toBe("\"A\\ufffdB\"");
    expect(lossy([0xe2, 0x82, 0x41])).toBe("\"\\ufffdA\""); // one U+FFFD for the cut E2 82
    expect(lossy([0xc0, 0xaf])).toBe("\"\\ufffd\\ufffd\""); // overlong: each byte
    expect(lossy([0xed, 0xa0, 0x80])).toBe("\"\\ufffd\\ufffd\\ufffd\""); // surrogate
    expect(lossy([0xf0, 0x9f, 0x98])).toBe("\"\\ufffd\""); // cut at the end
    expect(lossy([0x22, 0xff, 0x5c])).toBe("\"\\\"\\ufffd\\\\\"");
  });
  it("produces parseable JSON that decodes back to the input for all of ASCII", () => {
    const all = new Array<u8>(128);
    for (let i = 0; i < 128; i++) all[i] = <u8>i;
    const w = new JsonWriter(8);
    w.beginObject();
    w.key("s");
    const b = bytesOf(all);
    w.stringLossy(ptrOf(b), b.byteLength);
    w.endObject();
    const doc = w.toArrayBuffer();
    expect(jsonProblem(doc)).toBe("");
    const v = <JSON.Obj>JSON.parse(Uint8Array.wrap(doc));
    const s = v.getString("s")!.valueOf();
    expect(s.length).toBe(128);
    for (let i = 0; i < 128; i++) expect(s.charCodeAt(i)).toBe(i);
  });
  it("always yields valid JSON from random bytes (lossy path)", () => {
    const rng = new Rng(2024);
    for (let round = 0; round < 300; round++) {
      const data = rng.bytes(rng.below(64));
      const w = new JsonWriter(4);
      w.beginArray();
      w.stringLossy(ptrOf(data), data.byteLength);
      w.endArray();
      expect(jsonProblem(w.toArrayBuffer())).toBe("");
    }
  });
});

describe("json: structure and numbers", () => {
  it("places commas and colons", () => {
    const w = new JsonWriter(4);
    w.beginObject();
    w.key("a");
    w.integer(1);
    w.key("b");
    w.beginArray();
    w.integer(-2);
    w.boolean(true);
    w.nullValue();
    w.beginObject();
    w.endObject();
    w.beginArray();
    w.endArray();
    w.endArray();
    w.key("c");
    w.asciiConst("x");
    w.key("d");
    w.string("ü\"");
    w.endObject();
    expect(w.toString()).toBe("{\"a\":1,\"b\":[-2,true,null,{},[]],\"c\":\"x\",\"d\":\"ü\\\"\"}");
  });
  it("writes 64-bit integers exactly", () => {
    const w = new JsonWriter(4);
    w.beginArray();
    w.unsigned(0);
    w.unsigned(18446744073709551615);
    w.integer(-9223372036854775808);
    w.integer(1732230000123);
    w.endArray();
    expect(w.toString()).toBe("[0,18446744073709551615,-9223372036854775808,1732230000123]");
  });
  it("grows past its initial capacity without losing bytes", () => {
    const w = new JsonWriter(1);
    w.beginArray();
    for (let i = 0; i < 1000; i++) w.integer(i);
    w.endArray();
    const s = w.toString();
    expect(s.startsWith("[0,1,2,")).toBe(true);
    expect(s.endsWith(",998,999]")).toBe(true);
    expect(jsonProblem(w.toArrayBuffer())).toBe("");
  });
});
