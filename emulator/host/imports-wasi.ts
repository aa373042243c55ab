// The wasi_snapshot_preview1 functions Envoy provides: stdout/stderr as log lines, clocks, random,
// empty environ and args, no files; proc_exit traps.
import { randomFillSync } from 'node:crypto';
import { LogLevel, WasiErrno } from './abi.ts';
import type { CallerVm } from './caller-vm.ts';
import { u32 } from './guest-memory.ts';

/** Thrown by proc_exit: the call traps and the VM fails with `wasi proc_exit(<code>)`. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

export function wasiImports(vm: CallerVm): Record<string, (...a: any[]) => number> {
  const E = WasiErrno;
  return {
    fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) {
      let level: number;
      if (fd === 1) level = LogLevel.info;
      else if (fd === 2) level = LogLevel.error;
      else return E.BADF;
      const parts: Buffer[] = [];
      for (let i = 0; i < iovsLen; i++) {
        const iov = vm.memory.read(iovs + i * 8, 8);
        if (!iov) return E.FAULT;
        const ptr = iov.readUInt32LE(0);
        const len = iov.readUInt32LE(4);
        if (len) {
          const b = vm.memory.read(ptr, len);
          if (!b) return E.FAULT;
          parts.push(b);
        }
      }
      let s = Buffer.concat(parts).toString('utf8');
      const written = parts.reduce((a, b) => a + b.length, 0);
      if (written) {
        if (s.endsWith('\n')) s = s.slice(0, -1);
        vm.log(level, s);
      }
      return vm.memory.setU32(nwrittenPtr, written) ? E.SUCCESS : E.FAULT;
    },
    fd_read() { return E.NOSYS; },
    fd_seek() { return E.BADF; },
    fd_close() { return E.SUCCESS; },
    fd_fdstat_get(fd: number, statPtr: number) {
      if (fd !== 1 && fd !== 2) return E.BADF;
      const st = Buffer.alloc(24);
      st.writeBigUInt64LE(64n, 8); // fs_rights_base = FD_WRITE
      return vm.memory.write(statPtr, st) ? E.SUCCESS : E.FAULT;
    },
    path_open() { return E.BADF; },
    fd_prestat_get() { return E.BADF; },
    fd_prestat_dir_name() { return E.BADF; },
    environ_sizes_get(countPtr: number, sizePtr: number) {
      return vm.memory.setU32(countPtr, 0) && vm.memory.setU32(sizePtr, 0) ? E.SUCCESS : E.FAULT;
    },
    environ_get() { return E.SUCCESS; },
    args_sizes_get(argcPtr: number, sizePtr: number) {
      return vm.memory.setU32(argcPtr, 0) && vm.memory.setU32(sizePtr, 0) ? E.SUCCESS : E.FAULT;
    },
    args_get() { return E.SUCCESS; },
    clock_time_get(id: number, _precision: bigint, resultPtr: number) {
      let t: bigint;
      if (id === 0) t = vm.host.nowNs();
      else if (id === 1) t = process.hrtime.bigint();
      else return E.NOTSUP;
      return vm.memory.setU64(resultPtr, t) ? E.SUCCESS : E.FAULT;
    },
    random_get(ptr: number, len: number) {
      const b = randomFillSync(Buffer.alloc(u32(len)));
      return vm.memory.write(ptr, b) ? E.SUCCESS : E.FAULT;
    },
    proc_exit(code: number) {
      throw new ProcExit(code);
    },
  };
}
