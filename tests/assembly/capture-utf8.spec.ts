import { isValidUtf8Buffer, utf8SequenceAt } from "../../assembly/capture/utf8";
import { bytesOf, utf8, ptrOf, Rng } from "./capture-helpers";

function valid(arr: u8[]): bool {
  return isValidUtf8Buffer(bytesOf(arr));
}

describe("utf8: well-formed input", () => {
  it("accepts empty and ASCII input, including every control byte and DEL", () => {
    expect(valid([])).toBe(true);
    const all = new Array<u8>(128);
    for (let i = 0; i < 128; i++) all[i] = <u8>i;
    expect(valid(all)).toBe(true);
  });
  it("accepts 2-, 3- and 4-byte sequences at the edges of each range", () => {
    expect(valid([0xc2, 0x80])).toBe(true); // U+0080
    expect(valid([0xdf, 0xbf])).toBe(true); // U+07FF
    expect(valid([0xe0, 0xa0, 0x80])).toBe(true); // U+0800
    expect(valid([0xed, 0x9f, 0xbf])).toBe(true); // U+D7FF
    expect(valid([0xee, 0x80, 0x80])).toBe(true); // U+E000
    expect(valid([0xef, 0xbf, 0xbf])).toBe(true); // U+FFFF
    expect(valid([0xf0, 0x90, 0x80, 0x80])).toBe(true); // U+10000
    expect(valid([0xf4, 0x8f, 0xbf, 0xbf])).toBe(true); // U+10FFFF
  });
  it("accepts mixed text encoded by the runtime", () => {
    expect(isValidUtf8Buffer(utf8("héllo wörld — 日本語 😀 {\"k\":\"v\"}"))).toBe(true);
  });
});

describe("utf8: ill-formed input", () => {
  it("rejects overlong forms", () => {
    expect(valid([0xc0, 0x80])).toBe(false); // overlong NUL
    expect(valid([0xc1, 0xbf])).toBe(false);
    expect(valid([0xe0, 0x80, 0x80])).toBe(false);
    expect(valid([0xe0, 0x9f, 0xbf])).toBe(false);
    expect(valid([0xf0, 0x80, 0x80, 0x80])).toBe(false);
    expect(valid([0xf0, 0x8f, 0xbf, 0xbf])).toBe(false);
  });
  it("rejects UTF-16 surrogates", () => {
    expect(valid([0xed, 0xa0, 0x80])).toBe(false); // U+D800
    expect(valid([0xed, 0xbf, 0xbf])).toBe(false); // U+DFFF
    expect(valid([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80])).toBe(false); // CESU-8 pair
  });
  it("rejects code points above U+10FFFF and the bytes F5..FF", () => {
    expect(valid([0xf4, 0x90, 0x80, 0x80])).toBe(false);
    for (let b = 0xf5; b <= 0xff; b++) expect(valid([<u8>b, 0x80, 0x80, 0x80])).toBe(false, b.toString());
  });
  it("rejects stray continuation bytes", () => {
    for (let b = 0x80; b <= 0xbf; b++) expect(valid([0x41, <u8>b])).toBe(false, b.toString());
  });
  it("rejects truncated sequences, at the end and in the middle", () => {
    expect(valid([0xc3])).toBe(false);
    expect(valid([0xe2, 0x82])).toBe(false);
    expect(valid([0xf0, 0x9f, 0x98])).toBe(false);
    expect(valid([0xe2, 0x82, 0x41])).toBe(false);
    expect(valid([0xf0, 0x9f, 0x41, 0x41])).toBe(false);
  });
});

describe("utf8: maximal ill-formed subparts", () => {
  it("reports sequence lengths and the bytes to replace", () => {
    const b = bytesOf([0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect(utf8SequenceAt(ptrOf(b), 0, 10)).toBe(1);
    expect(utf8SequenceAt(ptrOf(b), 1, 10)).toBe(2);
    expect(utf8SequenceAt(ptrOf(b), 3, 10)).toBe(3);
    expect(utf8SequenceAt(ptrOf(b), 6, 10)).toBe(4);
    const bad = bytesOf([0xe2, 0x82, 0x41, 0x80, 0xf0, 0x9f, 0x98]);
    expect(utf8SequenceAt(ptrOf(bad), 0, 7)).toBe(-2); // E2 82 then 'A'
    expect(utf8SequenceAt(ptrOf(bad), 3, 7)).toBe(-1); // stray continuation
    expect(utf8SequenceAt(ptrOf(bad), 4, 7)).toBe(-3); // cut at the end
    const ov = bytesOf([0xe0, 0x80, 0x80]);
    expect(utf8SequenceAt(ptrOf(ov), 0, 3)).toBe(-1); // E0 80 is never a valid prefix
  });
});

describe("utf8: against the runtime", () => {
  it("agrees with the runtime's own decoder on random strings of code points", () => {
    const rng = new Rng(99);
    for (let round = 0; round < 200; round++) {
      let s = "";
      const n = rng.below(12);
      for (let i = 0; i < n; i++) {
        let cp = rng.below(0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
        s += String.fromCodePoint(cp);
      }
      expect(isValidUtf8Buffer(utf8(s))).toBe(true);
    }
  });
});
