// Spawns one Envoy with a given bootstrap, waits for its admin, learns its listener ports, collects its log lines, and kills its process group on close.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envoyBin, envoyMissingReason } from '../../scripts/envoy-bin.mjs';

/** The Envoy binary (ENVOY_BIN, else `.envoy/py/envoy/_bin/envoy`); throws the reason when it is missing. */
export function envoyBinary(): string {
  const why = envoyMissingReason();
  if (why) throw new Error(why);
  return envoyBin().path;
}

/** One line of Envoy's default log format `[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`. */
export interface EnvoyLogLine {
  raw: string;
  thread: string;
  /** trace | debug | info | warning | error | critical */
  level: string;
  logger: string;
  source: string;
  message: string;
}

const LINE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]\[(\d+)\]\[(\w+)\]\[([\w.-]+)\] \[([^\]]*)\] (.*)$/;

export function parseEnvoyLine(raw: string): EnvoyLogLine | undefined {
  const m = LINE.exec(raw);
  if (!m) return undefined;
  return { raw, thread: m[2], level: m[3], logger: m[4], source: m[5], message: m[6] };
}

export interface EnvoyOptions {
  /** Bootstrap object (written as JSON). Its admin address is replaced by 127.0.0.1:0. */
  bootstrap: Record<string, unknown>;
  /** Extra arguments, e.g. ['--concurrency', '2', '--component-log-level', 'wasm:debug']. */
  args?: string[];
  /** Default ['-l', 'info']. */
  logLevelArgs?: string[];
  /** How long to wait for the admin endpoint (ms). */
  startTimeoutMs?: number;
  /** Called with every log line as it arrives. */
  onLine?: (line: EnvoyLogLine) => void;
}

export interface EnvoyProcess {
  adminUrl: string;
  /** listener name -> port */
  listeners: Record<string, number>;
  /** Every stderr line so far, raw and parsed (continuation lines are kept raw, parsed undefined). */
  raw: string[];
  lines: EnvoyLogLine[];
  /** Resolves with the first line matching `pred` (already seen or future). */
  waitForLine(pred: (l: EnvoyLogLine) => boolean, what: string, timeoutMs?: number): Promise<EnvoyLogLine>;
  admin(pathAndQuery: string): Promise<string>;
  close(): Promise<void>;
  readonly exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}
process.on('exit', () => { for (const c of live) killGroup(c, 'SIGKILL'); });

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`${url}: timeout`)));
  });
}

/**
 * Start Envoy and resolve once its admin answers and every static listener is bound.
 * If Envoy exits first, rejects with its last log lines (e.g. a module that fails to load).
 */
export async function startEnvoy(opts: EnvoyOptions): Promise<EnvoyProcess> {
  const bin = envoyBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'envoy-run-'));
  const cfgPath = path.join(dir, 'bootstrap.json');
  const adminPath = path.join(dir, 'admin-address');
  const bootstrap = { ...opts.bootstrap, admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } } };
  writeFileSync(cfgPath, JSON.stringify(bootstrap, null, 2));
  const args = [
    '-c', cfgPath, '--disable-hot-restart', '--admin-address-path', adminPath,
    ...(opts.logLevelArgs ?? ['-l', 'info']), ...(opts.args ?? []),
  ];
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const raw: string[] = [];
  const lines: EnvoyLogLine[] = [];
  const waiters: { pred: (l: EnvoyLogLine) => boolean; resolve: (l: EnvoyLogLine) => void }[] = [];
  const feed = (text: string) => {
    raw.push(text);
    const l = parseEnvoyLine(text);
    if (!l) return;
    lines.push(l);
    opts.onLine?.(l);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].pred(l)) { waiters[i].resolve(l); waiters.splice(i, 1); }
    }
  };
  for (const s of [child.stdout!, child.stderr!]) {
    let rest = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      rest += c;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) { feed(rest.slice(0, i)); rest = rest.slice(i + 1); }
    });
    s.on('end', () => { if (rest) feed(rest); rest = ''; });
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => { exitCode = code ?? (signal ? -1 : null); live.delete(child); resolve(exitCode); });
    child.on('error', () => { exitCode = -1; live.delete(child); resolve(-1); });
  });
  const tail = () => raw.slice(-15).join('\n');

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30000);
  let adminUrl = '';
  const staticListeners = ((bootstrap as any).static_resources?.listeners ?? []).map((l: any) => String(l.name));
  let listeners: Record<string, number> = {};
  try {
    for (;;) {
      if (exitCode !== undefined) throw new Error(`Envoy exited (code ${exitCode}) before it was ready:\n${tail()}`);
      if (Date.now() > deadline) throw new Error(`Envoy not ready after ${opts.startTimeoutMs ?? 30000} ms:\n${tail()}`);
      if (!adminUrl && existsSync(adminPath)) {
        const a = readFileSync(adminPath, 'utf8').trim();
        if (a) adminUrl = `http://${a}`;
      }
      if (adminUrl) {
        try {
          const j = JSON.parse(await get(`${adminUrl}/listeners?format=json`));
          listeners = {};
          for (const s of j.listener_statuses ?? []) {
            const port = s.local_address?.socket_address?.port_value;
            if (port) listeners[s.name] = port;
          }
          if (staticListeners.every((n: string) => listeners[n])) {
            const ready = await get(`${adminUrl}/ready`).then(() => true, () => false);
            if (ready) break;
          }
        } catch { /* not up yet */ }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    killGroup(child, 'SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    adminUrl,
    listeners,
    raw,
    lines,
    exited,
    waitForLine(pred, what, timeoutMs = 10000) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (l: EnvoyLogLine) => { clearTimeout(t); resolve(l); } };
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`timed out waiting for ${what} in Envoy's log:\n${tail()}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    admin: (p) => get(adminUrl + p),
    close() {
      closing ??= (async () => {
        if (exitCode === undefined) {
          killGroup(child, 'SIGTERM');
          const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
          await exited;
          clearTimeout(t);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/**
 * Run Envoy with a bootstrap that is expected to be refused (e.g. a module that fails to load):
 * resolves with its exit code and log lines once it exits (kills it after `timeoutMs`).
 */
export async function runEnvoyExpectingExit(opts: EnvoyOptions & { timeoutMs?: number }): Promise<{ code: number | null; raw: string[]; lines: EnvoyLogLine[] }> {
  const bin = envoyBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'envoy-run-'));
  const cfgPath = path.join(dir, 'bootstrap.json');
  const bootstrap = { ...opts.bootstrap, admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } } };
  writeFileSync(cfgPath, JSON.stringify(bootstrap, null, 2));
  const child = spawn(bin, ['-c', cfgPath, '--disable-hot-restart', ...(opts.logLevelArgs ?? ['-l', 'info']), ...(opts.args ?? [])],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const t = setTimeout(() => killGroup(child, 'SIGKILL'), opts.timeoutMs ?? 20000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? -1 : null))));
  clearTimeout(t);
  live.delete(child);
  killGroup(child, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  const raw = out.split('\n').filter(Boolean);
  return { code, raw, lines: raw.map(parseEnvoyLine).filter((l): l is EnvoyLogLine => !!l) };
}
