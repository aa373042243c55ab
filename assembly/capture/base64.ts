// Standard base64 (RFC 4648 section 4: alphabet A-Z a-z 0-9 + /, '=' padding, no line breaks), written
// into a ByteBuffer. The stream form takes its input in pieces (body chunks) and carries up to two
// bytes between them, so the result equals the encoding of the concatenated input. Pure.
import { ByteBuffer } from "./byte-buffer";

const ALPHABET = memory.data<u8>([
  0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
  0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
  0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76,
  0x77, 0x78, 0x79, 0x7a, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x2b, 0x2f,
]);

// The two characters of every 12-bit value (4096 × 2 bytes), built on first use: a zeroed static
// area costs no bytes in the module, a precomputed table would cost 8 KiB.
const PAIRS = memory.data(8192, 16);
let pairsReady = false;

function pairTable(): usize {
  if (!pairsReady) {
    for (let v: u32 = 0; v < 4096; v++) {
      store<u16>(PAIRS + (<usize>v << 1), <u16>load<u8>(ALPHABET + (v >> 6)) | (<u16>load<u8>(ALPHABET + (v & 63)) << 8));
    }
    pairsReady = true;
  }
  return PAIRS;
}

/** Eight characters for the first six bytes of `x` (little-endian: byte 0 lowest). */
@inline
function encode6(t: usize, x: u64): u64 {
  const a = <u32>(((x & 0xff) << 16) | (x & 0xff00) | ((x >> 16) & 0xff));
  const b = <u32>(((x >> 8) & 0xff0000) | ((x >> 24) & 0xff00) | ((x >> 40) & 0xff));
  return <u64>load<u16>(t + (<usize>(a >> 12) << 1)) |
    (<u64>load<u16>(t + (<usize>(a & 0xfff) << 1)) << 16) |
    (<u64>load<u16>(t + (<usize>(b >> 12) << 1)) << 32) |
    (<u64>load<u16>(t + (<usize>(b & 0xfff) << 1)) << 48);
}

/** Length of the base64 text for `n` input bytes. */
export function base64Length(n: i32): i32 {
  return ((n + 2) / 3) * 4;
}

export class Base64Stream {
  private carry: u32 = 0; // pending input bytes, most significant first
  private carried: i32 = 0; // 0..2

  write(out: ByteBuffer, ptr: usize, len: i32): void {
    let i: i32 = 0;
    // Complete a group started in an earlier piece.
    while (this.carried > 0 && this.carried < 3 && i < len) {
      this.carry = (this.carry << 8) | <u32>load<u8>(ptr + <usize>i);
      this.carried++;
      i++;
    }
    if (this.carried == 3) {
      emitGroup(out, this.carry);
      this.carry = 0;
      this.carried = 0;
    }
    const groups = (len - i) / 3;
    if (groups > 0) {
      const dst = out.reserve(groups * 4);
      const t = pairTable();
      let d: usize = 0;
      let g: i32 = 0;
      // Four groups (12 bytes in, 16 out) per step while 16 input bytes remain (so neither 8-byte load
      // reads past the input): two 8-byte loads, one table load of two characters per 12-bit half of a
      // group, two 8-byte stores.
      while (g + 4 <= groups && len - i >= 16) {
        const p = ptr + <usize>i;
        store<u64>(dst + d, encode6(t, load<u64>(p)));
        store<u64>(dst + d, encode6(t, load<u64>(p, 6)), 8);
        d += 16;
        i += 12;
        g += 4;
      }
      for (; g < groups; g++) {
        const p = ptr + <usize>i;
        const v = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p, 1) << 8) | <u32>load<u8>(p, 2);
        store<u32>(dst + d, <u32>load<u16>(t + (<usize>(v >> 12) << 1)) | (<u32>load<u16>(t + (<usize>(v & 0xfff) << 1)) << 16));
        d += 4;
        i += 3;
      }
      out.commit(groups * 4);
    }
    while (i < len) {
      this.carry = (this.carry << 8) | <u32>load<u8>(ptr + <usize>i);
      this.carried++;
      i++;
    }
  }

  /** Flushes the last one or two bytes with '=' padding; the stream can then be reused. */
  finish(out: ByteBuffer): void {
    const a = ALPHABET;
    if (this.carried == 1) {
      const v = this.carry << 16;
      const dst = out.reserve(4);
      store<u8>(dst, load<u8>(a + ((v >> 18) & 63)));
      store<u8>(dst, load<u8>(a + ((v >> 12) & 63)), 1);
      store<u8>(dst, 0x3d, 2);
      store<u8>(dst, 0x3d, 3);
      out.commit(4);
    } else if (this.carried == 2) {
      const v = this.carry << 8;
      const dst = out.reserve(4);
      store<u8>(dst, load<u8>(a + ((v >> 18) & 63)));
      store<u8>(dst, load<u8>(a + ((v >> 12) & 63)), 1);
      store<u8>(dst, load<u8>(a + ((v >> 6) & 63)), 2);
      store<u8>(dst, 0x3d, 3);
      out.commit(4);
    }
    this.carry = 0;
    this.carried = 0;
  }
}

function emitGroup(out: ByteBuffer, v: u32): void {
  const a = ALPHABET;
  const dst = out.reserve(4);
  store<u8>(dst, load<u8>(a + ((v >> 18) & 63)));
  store<u8>(dst, load<u8>(a + ((v >> 12) & 63)), 1);
  store<u8>(dst, load<u8>(a + ((v >> 6) & 63)), 2);
  store<u8>(dst, load<u8>(a + (v & 63)), 3);
  out.commit(4);
}

/** Encodes `len` bytes at `ptr` in one go. */
export function base64Write(out: ByteBuffer, ptr: usize, len: i32): void {
  const s = new Base64Stream();
  s.write(out, ptr, len);
  s.finish(out);
}

/** Convenience for tests: the base64 text of a byte array. */
export function base64Encode(bytes: Uint8Array): string {
  const out = new ByteBuffer(base64Length(bytes.length) + 16);
  base64Write(out, bytes.dataStart, bytes.length);
  return out.toString();
}
