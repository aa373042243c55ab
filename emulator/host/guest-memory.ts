// The module's linear memory as the host functions use it: bounds-checked reads and writes, and
// copying a result out into memory the module allocates (proxy-wasm's copyToPointerSize).
import { WasmResult } from './abi.ts';

/** A wasm i32 argument as the unsigned 32-bit value the ABI means. */
export const u32 = (v: number | bigint): number => Number(BigInt.asUintN(32, BigInt(v)));

export class GuestMemory {
  /** `exports` is read at each access: the instance exists only after the import table is built. */
  constructor(private readonly exports: () => Record<string, any>) {}

  private get buffer(): ArrayBuffer {
    return (this.exports().memory as WebAssembly.Memory).buffer;
  }
  /** A copy of `size` bytes at `ptr`, or null when out of bounds. */
  read(ptr: number, size: number): Buffer | null {
    ptr = u32(ptr);
    size = u32(size);
    const mem = new Uint8Array(this.buffer);
    if (ptr + size > mem.length) return null;
    return Buffer.from(mem.slice(ptr, ptr + size));
  }
  write(ptr: number, data: Uint8Array): boolean {
    ptr = u32(ptr);
    const mem = new Uint8Array(this.buffer);
    if (ptr + data.length > mem.length) return false;
    mem.set(data, ptr);
    return true;
  }
  setU32(ptr: number, v: number): boolean {
    ptr = u32(ptr);
    const buf = this.buffer;
    if (ptr + 4 > buf.byteLength) return false;
    new DataView(buf).setUint32(ptr, v >>> 0, true);
    return true;
  }
  setU64(ptr: number, v: bigint): boolean {
    ptr = u32(ptr);
    const buf = this.buffer;
    if (ptr + 8 > buf.byteLength) return false;
    new DataView(buf).setBigUint64(ptr, BigInt.asUintN(64, v), true);
    return true;
  }
  /** proxy-wasm copyToPointerSize: malloc in the VM, copy, store pointer and size. A WasmResult. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): number {
    let p = 0;
    if (data.length > 0) {
      p = this.alloc(data.length);
      if (p === 0 || !this.write(p, data)) return WasmResult.InvalidMemoryAccess;
    }
    if (!this.setU32(ptrPtr, p) || !this.setU32(sizePtr, data.length)) return WasmResult.InvalidMemoryAccess;
    return WasmResult.Ok;
  }
  private alloc(size: number): number {
    const exports = this.exports();
    const fn = exports.malloc ?? exports.proxy_on_memory_allocate;
    return u32(fn(size));
  }
}
