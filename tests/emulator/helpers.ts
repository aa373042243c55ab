import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, type HostOptions, type ProxyWasmHost } from '../../emulator/host/index.ts';
import { tempDir } from '../../emulator/temp.ts';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');

export function probeWasm(): Buffer {
  return readFileSync(path.join(HERE, 'modules/probe.wasm'));
}

export async function probeHost(opts: HostOptions = {}): Promise<ProxyWasmHost> {
  return createHost(probeWasm(), { pluginName: 'probe', ...opts });
}

/** Messages the module logged (verbatim), in order. */
export function messages(host: ProxyWasmHost): string[] {
  return host.logs.filter((e) => e.source === 'wasm').map((e) => e.message);
}

export function hexProp(host: ProxyWasmHost, label: string): { result: number; hex?: string } | undefined {
  const re = new RegExp(`^prop ${label.replace(/\./g, '\\.')} result=(\\d+)(?: hex=([0-9a-f]*))?$`);
  for (const m of messages(host)) {
    const x = re.exec(m);
    if (x) return { result: Number(x[1]), hex: x[2] };
  }
  return undefined;
}

export async function waitFor<T>(fn: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string; port: number; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A port nobody listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let asDir: string | undefined;
/**
 * Compile a committed AssemblyScript test module (tests/emulator/modules/<name>.ts, using the
 * patched @solo-io/proxy-runtime SDK) with the project's pinned asc and the policy's build flags.
 */
const asCache = new Map<string, Buffer>();
export function compileAS(name: string, extraFlags: string[] = ['--use', 'abort=abort_proc_exit']): Buffer {
  const key = name + ' ' + extraFlags.join(' ');
  const cached = asCache.get(key);
  if (cached) return cached;
  asDir ??= tempDir('emu-as-'); // removed when the test file's process exits
  const src = path.join(ROOT, 'tests/emulator/modules', `${name}.ts`);
  const out = path.join(asDir, `${name}-${extraFlags.join('_').replace(/[^a-z0-9_]/gi, '')}.wasm`);
  try {
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), src, '--config', path.join(ROOT, 'tests/emulator/modules/asconfig.json'), '-o', out, '--runtime', 'incremental',
        '--exportStart', '_initialize', '-O1', ...extraFlags],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`asc failed for ${name}:\n${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`);
  }
  const wasm = readFileSync(out);
  asCache.set(key, wasm);
  return wasm;
}
