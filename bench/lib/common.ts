// Shared helpers for the bench/ scripts: module paths, baselines, statistics, markdown, results.
// Every figure the scripts print is a median over interleaved repetitions or a ratio against a
// baseline measured in the same run: these machines are shared and noisy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RESULTS_DIR = path.join(ROOT, 'build', 'bench');

/** `--long` or BENCH_LONG=1: longer runs (more repetitions, more transactions). */
export const LONG = process.argv.includes('--long') || process.env.BENCH_LONG === '1';

export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return Math.floor(n);
}

/** The release policy module: policies-k8s/cequence_policy.wasm (npm run build), or BENCH_POLICY_WASM. */
export function policyWasmPath(): string {
  const p = process.env.BENCH_POLICY_WASM ?? path.join(ROOT, 'policies-k8s', 'cequence_policy.wasm');
  if (!existsSync(p)) throw new Error(`${p} not found: run npm run build first`);
  return p;
}
/** A path as shown in reports: relative to the repository when inside it. */
export function displayPath(p: string): string {
  const r = path.relative(ROOT, p);
  return r.startsWith('..') ? p : r;
}
export function policyWasm(): Buffer {
  return readFileSync(policyWasmPath());
}

/** The no-op AssemblyScript filter (bench/noop), built like the policy; rebuilt when stale. */
export function noopWasmPath(): string {
  const out = path.join(ROOT, 'build', 'noop_filter.wasm');
  const src = path.join(ROOT, 'bench', 'noop', 'index.ts');
  // Stale when older than its source, the build options or the patched SDK/compiler it is built with.
  const inputs = [src, path.join(ROOT, 'asconfig.json'), ...readdirSync(path.join(ROOT, 'patches')).map((f) => path.join(ROOT, 'patches', f))];
  if (!existsSync(out) || inputs.some((f) => statSync(out).mtimeMs < statSync(f).mtimeMs)) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), 'bench/noop/index.ts', '--target', 'noop'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  return out;
}
export function noopWasm(): Buffer {
  return readFileSync(noopWasmPath());
}

// A module that does nothing at all, hand-written (no SDK, no allocator): every callback returns
// Continue at once. Its cost is the emulator host's own cost of driving a stream.
const EMPTY_WAT = `(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32) (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $n))) (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)`;

/**
 * A no-op filter that makes the host reads the policy makes on a captured stream, and nothing else: both
 * header maps (their size, then the pairs), the three properties (source and destination address,
 * request protocol), the clock, and each body chunk up to 32 KiB a side (proxy_get_buffer_bytes with
 * start 0, len min(chunk, room)). Every read returns its bytes through the exported malloc (a bump
 * allocator, rewound when it passes 1 MiB: the bytes are never looked at). The floor of any proxy-wasm
 * filter that captures what the policy captures: the ABI's own cost of getting the data out of Envoy.
 */
const READS_WAT = `(module
  (import "env" "proxy_get_header_map_size" (func $hms (param i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $hmp (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $prop (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $buf (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
  (memory (export "memory") 40)
  (data (i32.const 64) "source\\00address")
  (data (i32.const 96) "destination\\00address")
  (data (i32.const 128) "request\\00protocol")
  ;; 16..24: result cell (ptr, size); 32: clock; 16384..: room left per context (1024 slots, 2 sides)
  (global $top (mut i32) (i32.const 65536))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (if (i32.gt_u (i32.add (global.get $top) (local.get $n)) (i32.const 2555904)) (then (global.set $top (i32.const 65536))))
    (if (i32.gt_u (local.get $n) (i32.const 2490368)) (then (return (i32.const 0))))
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $n))) (local.get $p))
  (func $slot (param $ctx i32) (param $side i32) (result i32)
    (i32.add (i32.const 16384) (i32.shl (i32.add (i32.shl (i32.and (local.get $ctx) (i32.const 1023)) (i32.const 1)) (local.get $side)) (i32.const 2))))
  (func $headers (param $map i32)
    (drop (call $hms (local.get $map) (i32.const 20)))
    (drop (call $hmp (local.get $map) (i32.const 16) (i32.const 20))))
  (func $body (param $ctx i32) (param $side i32) (param $len i32)
    (local $room i32) (local $want i32)
    (local.set $room (i32.load (call $slot (local.get $ctx) (local.get $side))))
    (local.set $want (select (local.get $len) (local.get $room) (i32.lt_u (local.get $len) (local.get $room))))
    (if (i32.gt_u (local.get $want) (i32.const 0)) (then
      (drop (call $buf (local.get $side) (i32.const 0) (local.get $want) (i32.const 16) (i32.const 20)))
      (i32.store (call $slot (local.get $ctx) (local.get $side)) (i32.sub (local.get $room) (local.get $want))))))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
    (i32.store (call $slot (local.get $ctx) (i32.const 0)) (i32.const 32768))
    (call $headers (i32.const 0))
    (drop (call $now (i32.const 32)))
    (drop (call $prop (i32.const 64) (i32.const 14) (i32.const 16) (i32.const 20)))
    (drop (call $prop (i32.const 96) (i32.const 19) (i32.const 16) (i32.const 20)))
    (drop (call $prop (i32.const 128) (i32.const 16) (i32.const 16) (i32.const 20)))
    (i32.const 0))
  (func (export "proxy_on_request_body") (param $ctx i32) (param $len i32) (param i32) (result i32)
    (call $body (local.get $ctx) (i32.const 0) (local.get $len)) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param $ctx i32) (param i32 i32) (result i32)
    (i32.store (call $slot (local.get $ctx) (i32.const 1)) (i32.const 32768))
    (call $headers (i32.const 2)) (i32.const 0))
  (func (export "proxy_on_response_body") (param $ctx i32) (param $len i32) (param i32) (result i32)
    (call $body (local.get $ctx) (i32.const 1) (local.get $len)) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)`;

/** The hand-written no-op module (EMPTY_WAT). */
export async function emptyWasm(): Promise<Buffer> {
  return watModule(EMPTY_WAT);
}
/** The hand-written reads-only module (READS_WAT). */
export async function readsWasm(): Promise<Buffer> {
  return watModule(READS_WAT);
}
async function watModule(text: string): Promise<Buffer> {
  const binaryen = (await import('binaryen')).default as any;
  const m = binaryen.parseText(text);
  const bytes = Buffer.from(m.emitBinary());
  m.dispose();
  return bytes;
}

/** Source area of a function name as AssemblyScript emits it (name section, .wat). */
export function codeArea(name: string, byFile = true): string {
  name = name.replace(/^\$/, '');
  if (name.startsWith('~lib/@solo-io/proxy-runtime')) return 'SDK (@solo-io/proxy-runtime)';
  if (name.startsWith('~lib/assemblyscript-json')) return 'assemblyscript-json';
  if (name.startsWith('~lib/rt/') || name === '~stack_check') return 'AS runtime (allocator, GC, stack check)';
  if (name.startsWith('~lib/')) return 'AS standard library (strings, arrays, maps, numbers)';
  const m = /^assembly\/([^/]+\/[^/]+)\//.exec(name);
  if (m && byFile) return `assembly/${m[1]}`;
  const r = /^assembly\/([^/]+)\//.exec(name);
  if (r) return m && !byFile ? `assembly/${r[1]}/` : `assembly/${r[1]}`;
  return 'other (start, exports)';
}

// ---- statistics -----------------------------------------------------------------------------

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export function min(xs: number[]): number {
  return Math.min(...xs);
}
export function max(xs: number[]): number {
  return Math.max(...xs);
}
/** Median of the per-repetition ratios a[i]/b[i] (paired: the two were measured side by side). */
export function pairedRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

// ---- formatting -----------------------------------------------------------------------------

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}
export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
/** n as "1.23×"; "—" when there is no figure (NaN: a gateway or subject that did not run). */
export function ratio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : '—';
}

export function mdTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machineFacts(): string {
  const cpus = os.cpus();
  return [
    `nproc ${os.availableParallelism()}`,
    `CPU ${cpus[0]?.model ?? 'unknown'}`,
    `node ${process.version}`,
    `V8 ${process.versions.v8}`,
    `load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ].join(', ');
}

/**
 * The file name a report is saved under: `<name>`, or `<name>-custom` when any BENCH_* setting other than
 * BENCH_LONG changes what is measured (another module, other bounds, fewer repetitions), so that an
 * experiment never overwrites the figures of a plain run.
 */
export function resultName(name: string): string {
  const custom = Object.keys(process.env).some((k) => k.startsWith('BENCH_') && k !== 'BENCH_LONG' && !k.startsWith('BENCH_PROFILE_') && k !== 'BENCH_LOAD');
  return custom ? `${name}-custom` : name;
}

/** Print the report and keep a copy (markdown + JSON) in build/bench/. */
export function report(name: string, markdown: string, data: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  name = resultName(name);
  const text = `${markdown.trim()}\n`;
  writeFileSync(path.join(RESULTS_DIR, `${name}.md`), text);
  writeFileSync(path.join(RESULTS_DIR, `${name}.json`), JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2));
  process.stdout.write(`\n${text}\n(saved build/bench/${name}.md and .json)\n`);
}

export function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const turn = () => new Promise<void>((r) => setImmediate(r));
