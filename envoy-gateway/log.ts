// Parses Envoy's default log format (`[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`) into entries, and picks
// out what the wasm filters logged (`wasm log <plugin> <root_id>: <message>`).

export type EnvoyLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

export interface EnvoyLogEntry {
  level: EnvoyLevel;
  /** Envoy's logger (`main`, `config`, `wasm`…), `flex-gateway` for the launcher's own lines, `raw` for unparsed lines. */
  logger: string;
  /** The text after the source location (for wasm lines: `wasm log <plugin> <root_id>: …`). */
  message: string;
  line: string;
  source: 'envoy' | 'gateway';
  /** Envoy's thread id. */
  thread?: number;
  /** For wasm lines: plugin (the PolicyBinding name; '' for a root context's line), root id and what
   *  the module logged, verbatim. */
  wasm?: { plugin: string; rootId: string; text: string };
  time: Date;
}

const LINE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]\[(\d+)\]\[(\w+)\]\[([^\]]+)\] \[([^\]]*)\] ([\s\S]*)$/;
// proxy-wasm-cpp-host's prefixes: a stream context `<plugin> <root_id>[ <vm_id>]`, a root context
// `<root_id>[ <vm_id>]` (no plugin name). The gateway sets no vm_id, so one word is a root context.
const WASM = /^wasm log ([^\s:]+)(?: ([^\s:]+))?(?: [^\s:]+)?: ([\s\S]*)$/;

export function parseEnvoyLine(line: string): EnvoyLogEntry {
  const m = LINE.exec(line);
  if (!m) return { level: 'info', logger: 'raw', message: line, line, source: 'envoy', time: new Date() };
  const level = (m[3] === 'warning' ? 'warn' : m[3]) as EnvoyLevel;
  const entry: EnvoyLogEntry = {
    level, logger: m[4], message: m[6], line, source: 'envoy', thread: Number(m[2]), time: new Date(m[1].replace(' ', 'T')),
  };
  if (m[4] === 'wasm') {
    const w = WASM.exec(m[6]);
    if (w) entry.wasm = w[2] === undefined ? { plugin: '', rootId: w[1], text: w[3] } : { plugin: w[1], rootId: w[2], text: w[3] };
  }
  return entry;
}

/** What the policy logged (`[cequence] …`), in order. */
export function wasmMessages(entries: EnvoyLogEntry[]): string[] {
  return entries.filter((e) => e.wasm).map((e) => e.wasm!.text);
}
