import type { LogLevelName } from './abi.ts';

export interface LogEntry {
  /** Envoy log level of the line. */
  level: LogLevelName;
  /** The message itself (for `wasm` entries: the module's text, verbatim). */
  message: string;
  /** The whole line formatted like Envoy's default log format. */
  line: string;
  /** `wasm` for proxy_log / WASI stdout-stderr, `host` for the emulator's own lines. */
  source: 'wasm' | 'host';
  /** Worker (VM) index, when the line comes from a VM. */
  worker?: number;
  time: Date;
}

export type LogSink = (entry: LogEntry) => void;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function envoyTimestamp(d: Date): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/**
 * Envoy's default format: `[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`.
 * Thread id: 1 for the main thread, 20+N for worker N (stable, readable).
 */
export function formatEnvoyLine(
  level: LogLevelName,
  logger: string,
  file: string,
  message: string,
  worker?: number,
  time = new Date(),
): string {
  const lvl = level === 'warn' ? 'warning' : level;
  const tid = worker === undefined ? 1 : 20 + worker;
  return `[${envoyTimestamp(time)}][${tid}][${lvl}][${logger}] [${file}] ${message}`;
}

export const WASM_LOG_FILE = 'source/extensions/common/wasm/context.cc:1192';
export const WASM_VM_FILE = 'source/extensions/common/wasm/wasm_vm.cc:38';
