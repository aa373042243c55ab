// UTF-8 well-formedness (Unicode 15, table 3-7): rejects overlong forms (C0, C1, E0 80..9F, F0 80..8F),
// UTF-16 surrogates (ED A0..BF), code points above U+10FFFF (F4 90.., F5..FF), stray continuation bytes
// and sequences cut short. Pure (no host calls).

/**
 * Length of the well-formed sequence that starts at ptr+i (1..4), or, when the bytes there are not
 * well-formed, minus the length of the maximal ill-formed subpart (-1..-3): the number of bytes to
 * replace by one U+FFFD before decoding resumes (the W3C/WHATWG "maximal subpart" practice).
 */
export function utf8SequenceAt(ptr: usize, i: usize, len: usize): i32 {
  const b = <u32>load<u8>(ptr + i);
  if (b < 0x80) return 1;
  let need: i32;
  let lo: u32 = 0x80;
  let hi: u32 = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    need = 1;
  } else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b == 0xe0) lo = 0xa0;
    else if (b == 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b == 0xf0) lo = 0x90;
    else if (b == 0xf4) hi = 0x8f;
  } else {
    return -1;
  }
  for (let k = 1; k <= need; k++) {
    if (i + <usize>k >= len) return -k;
    const c = <u32>load<u8>(ptr + i + <usize>k);
    if (c < lo || c > hi) return -k;
    lo = 0x80;
    hi = 0xbf;
  }
  return need + 1;
}

/** True when the `len` bytes at `ptr` are well-formed UTF-8. */
export function isValidUtf8(ptr: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= len && (load<u64>(ptr + i) & 0x8080808080808080) == 0) i += 8;
    if (i >= len) break;
    if (load<u8>(ptr + i) < 0x80) {
      i++;
      continue;
    }
    const n = utf8SequenceAt(ptr, i, len);
    if (n < 0) return false;
    i += <usize>n;
  }
  return true;
}

export function isValidUtf8Buffer(buf: ArrayBuffer): bool {
  return isValidUtf8(changetype<usize>(buf), <usize>buf.byteLength);
}
