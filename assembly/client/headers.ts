// proxy-wasm header map encoding (what proxy_http_call takes): u32 count, then a (key length, value
// length) u32 pair per header, then each key and value followed by a NUL. Little-endian. Pure.

export class HeaderList {
  keys: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  values: Array<ArrayBuffer> = new Array<ArrayBuffer>();

  add(key: string, value: string): HeaderList {
    this.keys.push(String.UTF8.encode(key));
    this.values.push(String.UTF8.encode(value));
    return this;
  }

  get length(): i32 {
    return this.keys.length;
  }

  serialize(): ArrayBuffer {
    const n = this.keys.length;
    let size = 4 + 8 * n;
    for (let i = 0; i < n; i++) size += this.keys[i].byteLength + this.values[i].byteLength + 2;
    const out = new ArrayBuffer(size);
    const base = changetype<usize>(out);
    store<u32>(base, <u32>n);
    let pos: usize = 4 + 8 * <usize>n;
    for (let i = 0; i < n; i++) {
      const k = this.keys[i];
      const v = this.values[i];
      store<u32>(base + 4 + 8 * <usize>i, <u32>k.byteLength);
      store<u32>(base + 8 + 8 * <usize>i, <u32>v.byteLength);
      memory.copy(base + pos, changetype<usize>(k), <usize>k.byteLength);
      pos += <usize>k.byteLength;
      store<u8>(base + pos, 0);
      pos++;
      memory.copy(base + pos, changetype<usize>(v), <usize>v.byteLength);
      pos += <usize>v.byteLength;
      store<u8>(base + pos, 0);
      pos++;
    }
    return out;
  }
}
