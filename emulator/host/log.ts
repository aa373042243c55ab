// Log entries and lines as Envoy prints them: its default format, the wasm logger's prefix for each
// context, and the context.cc line of each level.
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

/** Where Envoy 1.40's Context::log writes each level (one ENVOY_LOG per level). */
export const WASM_LOG_FILES: Record<LogLevelName, string> = {
  trace: 'source/extensions/common/wasm/context.cc:1145',
  debug: 'source/extensions/common/wasm/context.cc:1148',
  info: 'source/extensions/common/wasm/context.cc:1151',
  warn: 'source/extensions/common/wasm/context.cc:1154',
  error: 'source/extensions/common/wasm/context.cc:1157',
  critical: 'source/extensions/common/wasm/context.cc:1160',
};
export const WASM_LOG_FILE = WASM_LOG_FILES.info;

/** Which context a module line was logged from: it decides Envoy's `wasm log…:` prefix. */
export type LogContextKind = 'vm' | 'root' | 'stream';

/**
 * Envoy's prefix (proxy-wasm-cpp-host ContextBase::log_prefix): nothing from the VM context
 * (`_initialize`, before any root context), ` <root_id>[ <vm_id>]` from a root context,
 * ` <plugin> <root_id>[ <vm_id>]` from a stream context. The effective context decides (a root
 * callback that called proxy_set_effective_context(stream) logs with the stream's prefix).
 */
export function wasmLogPrefix(kind: LogContextKind, pluginName: string, rootId: string, vmId: string): string {
  const parts = kind === 'vm' ? [] : kind === 'root' ? [rootId, vmId] : [pluginName, rootId, vmId];
  return parts.filter(Boolean).map((p) => ' ' + p).join('');
}
export const WASM_VM_FILE = 'source/extensions/common/wasm/wasm_vm.cc:38';
