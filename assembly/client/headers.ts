// proxy-wasm header map encoding (what proxy_http_call takes): u32 count, then a (key length, value
// length) u32 pair per header, then each key and value followed by a NUL. Little-endian. Pure.
import { encodePairsBytes } from "../capture/header-pairs";

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
    return encodePairsBytes(this.keys, this.values);
  }
}
