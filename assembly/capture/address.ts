// Connection facts as Envoy reports them through properties. Pure.
//   source.address / destination.address: "ip:port" strings, IPv6 as "[addr]:port" (a pipe or an
//   address without a port appears as the bare string);
//   source.port / destination.port: 8-byte little-endian int64.

/** Where the IP part of an "ip:port" address string lies: [start, start+len). */
export class HostPort {
  ipStart: i32 = 0;
  ipLen: i32 = 0;
  /** -1 when the string carries no port. */
  port: i32 = -1;
}

/** Splits an address string at `ptr` (`len` bytes). Never fails: unknown shapes give the whole string as IP. */
export function splitHostPort(ptr: usize, len: i32): HostPort {
  const r = new HostPort();
  r.ipLen = len;
  if (len <= 0) return r;
  if (load<u8>(ptr) == 0x5b) {
    // [v6]:port
    let close = -1;
    for (let i = 1; i < len; i++) {
      if (load<u8>(ptr + <usize>i) == 0x5d) {
        close = i;
        break;
      }
    }
    if (close < 0) return r;
    r.ipStart = 1;
    r.ipLen = close - 1;
    if (close + 1 < len && load<u8>(ptr + <usize>(close + 1)) == 0x3a) r.port = parsePort(ptr + <usize>(close + 2), len - close - 2);
    return r;
  }
  // v4:port, or a bare v6 address (more than one ':') which carries no port.
  let colon = -1;
  let colons = 0;
  for (let i = 0; i < len; i++) {
    if (load<u8>(ptr + <usize>i) == 0x3a) {
      colon = i;
      colons++;
    }
  }
  if (colons != 1) return r;
  const port = parsePort(ptr + <usize>(colon + 1), len - colon - 1);
  if (port < 0) return r;
  r.ipLen = colon;
  r.port = port;
  return r;
}

/** A decimal port 0..65535, or -1. */
export function parsePort(ptr: usize, len: i32): i32 {
  if (len <= 0 || len > 5) return -1;
  let v: i32 = 0;
  for (let i = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + <usize>i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v <= 65535 ? v : -1;
}

/** A port property (8-byte little-endian integer), or -1 when absent or out of range. */
export function portFromInt64(buf: ArrayBuffer | null): i32 {
  if (buf == null || buf.byteLength != 8) return -1;
  const v = load<i64>(changetype<usize>(buf));
  return v >= 0 && v <= 65535 ? <i32>v : -1;
}
