import { base64Encode, base64Length, Base64Stream } from "../../assembly/capture/base64";
import { ByteBuffer } from "../../assembly/capture/byte-buffer";
import { ptrOf, Rng, utf8 } from "./capture-helpers";

function b64(s: string): string {
  return base64Encode(Uint8Array.wrap(utf8(s)));
}

describe("base64: RFC 4648 section 10 test vectors", () => {
  it("encodes the standard vectors", () => {
    expect(b64("")).toBe("");
    expect(b64("f")).toBe("Zg==");
    expect(b64("fo")).toBe("Zm8=");
    expect(b64("foo")).toBe("Zm9v");
    expect(b64("foob")).toBe("Zm9vYg==");
    expect(b64("fooba")).toBe("Zm9vYmE=");
    expect(b64("foobar")).toBe("Zm9vYmFy");
  });
  it("uses the standard alphabet (+ and /) for high bit patterns", () => {
    const b = new Uint8Array(3);
    b[0] = 0xfb; b[1] = 0xff; b[2] = 0xbf;
    expect(base64Encode(b)).toBe("+/+/");
    const z = new Uint8Array(3);
    expect(base64Encode(z)).toBe("AAAA");
    const all = new Uint8Array(256);
    for (let i = 0; i < 256; i++) all[i] = <u8>i;
    // Known encoding of bytes 0..255 (first and last groups).
    const e = base64Encode(all);
    expect(e.length).toBe(344);
    expect(e.substring(0, 16)).toBe("AAECAwQFBgcICQoL");
    expect(e.substring(e.length - 8)).toBe("/P3+/w==");
  });
  it("predicts the output length", () => {
    for (let n = 0; n < 50; n++) {
      const b = new Uint8Array(n);
      expect(base64Encode(b).length).toBe(base64Length(n));
    }
  });
});

describe("base64: streaming in pieces", () => {
  it("equals the one-shot encoding for every way of cutting a short input in three", () => {
    const data = utf8("Many hands make light work.");
    const whole = base64Encode(Uint8Array.wrap(data));
    expect(whole).toBe("TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsu");
    const n = data.byteLength;
    for (let a = 0; a <= n; a++) {
      for (let b = a; b <= n; b++) {
        const out = new ByteBuffer(8);
        const s = new Base64Stream();
        s.write(out, ptrOf(data), a);
        s.write(out, ptrOf(data) + <usize>a, b - a);
        s.write(out, ptrOf(data) + <usize>b, n - b);
        s.finish(out);
        expect(out.toString()).toBe(whole);
      }
    }
  });
  it("equals the one-shot encoding for random data in random pieces", () => {
    const rng = new Rng(7);
    for (let round = 0; round < 200; round++) {
      const n = rng.below(300);
      const data = rng.bytes(n);
      const whole = base64Encode(Uint8Array.wrap(data));
      const out = new ByteBuffer(4);
      const s = new Base64Stream();
      let pos = 0;
      while (pos < n) {
        let k = rng.below(9);
        if (pos + k > n) k = n - pos;
        s.write(out, ptrOf(data) + <usize>pos, k);
        pos += k;
      }
      s.finish(out);
      expect(out.toString()).toBe(whole);
    }
  });
});

// A byte-at-a-time reference, independent of the encoder's table and SIMD paths.
const REF = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function reference(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 3) {
    const n = b.length - i;
    const v = (<u32>b[i] << 16) | (n > 1 ? <u32>b[i + 1] << 8 : 0) | (n > 2 ? <u32>b[i + 2] : 0);
    s += REF.charAt((v >> 18) & 63) + REF.charAt((v >> 12) & 63);
    s += n > 1 ? REF.charAt((v >> 6) & 63) : "=";
    s += n > 2 ? REF.charAt(v & 63) : "=";
  }
  return s;
}

describe("base64: long inputs (the 12-byte steps)", () => {
  it("equals a byte-at-a-time reference for every length up to 100 and for every byte value", () => {
    const all = new Uint8Array(768);
    for (let i = 0; i < all.length; i++) all[i] = <u8>((i * 7 + (i >> 8)) & 255);
    expect(base64Encode(all)).toBe(reference(all));
    const rng = new Rng(7);
    for (let n = 0; n <= 100; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = <u8>rng.below(256);
      expect(base64Encode(b)).toBe(reference(b));
    }
  });
});
