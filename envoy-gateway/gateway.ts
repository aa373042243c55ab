// Launches real Envoy as a Flex local-mode gateway: translates the deployed files, writes the bootstrap
// and the LDS/CDS files into a temp dir, starts Envoy, learns the admin and listener ports, reads
// Envoy's log, and re-translates when a watched conf.d file changes (Envoy reloads the renamed files).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { envoyBin, envoyMissingReason } from '../scripts/envoy-bin.mjs';
import { formatEnvoyLine } from '../emulator/host/log.ts';
import type { WasmPathMap } from '../emulator/gateway/config.ts';
import { bootstrap, translateFiles, type EnvoyTranslation, type TranslateOptions } from './translate.ts';
import { parseEnvoyLine, type EnvoyLogEntry } from './log.ts';
import { waitForListeners, waitForReady, waitForVersion, xdsStats } from './admin.ts';

export type EnvoyLogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'off';

export interface EnvoyGatewayOptions {
  /** conf.d directory, or a list of YAML files / directories (both are watched). */
  dir?: string;
  files?: string[] | string;
  /** Port of the first ApiInstance's listener (0: any free port). Default: its spec.address port. */
  listenPort?: number;
  listenHost?: string;
  /** Envoy worker threads (`--concurrency`), one VM per worker. Default 1. */
  workers?: number;
  wasmPathMap?: WasmPathMap;
  /** CA file that validates https:// Services (default: the system CA bundle). */
  caFile?: string;
  /** Envoy `-l` (default info) and `--component-log-level` (e.g. `wasm:debug`). */
  logLevel?: EnvoyLogLevel | 'warn';
  componentLogLevel?: string;
  /** Every log line as it arrives (Envoy's and this launcher's). */
  onLog?: (e: EnvoyLogEntry) => void;
  /** Print every log line to stderr. */
  print?: boolean;
  /** Re-translate when a watched file changes (default true). */
  watch?: boolean;
  /** Debounce of the watcher (default 150 ms). */
  debounceMs?: number;
  /** `--drain-time-s`: how long connections of a replaced listener config are drained (default 2). */
  drainTimeS?: number;
  routeTimeoutMs?: number;
  /** How long to wait for Envoy to be ready (default 20 s). */
  startTimeoutMs?: number;
  /** Extra Envoy arguments. */
  extraArgs?: string[];
  /** Called on every translation before Envoy is given it (start-up and each reload), to change what
   *  Flex's files cannot say, e.g. an HTTP/2 upstream cluster for a test's gRPC exchange. */
  editTranslation?: (t: EnvoyTranslation) => void;
}

export interface EnvoyGateway {
  /** First listener: `http://host:port<base path>`. */
  url: string;
  port: number;
  listeners: { name: string; port: number; url: string }[];
  adminUrl: string;
  /** Envoy's own log lines (stderr), and the launcher's lines in the same format (logger `flex-gateway`). */
  logs: string[];
  entries: EnvoyLogEntry[];
  /** `envoy --version`'s version, e.g. 1.40.0. */
  version: string;
  pid: number;
  /** Folder holding envoy.yaml, lds/lds.yaml, cds/cds.yaml. */
  configDir: string;
  /** Current translation (the last one Envoy was given). */
  translation: EnvoyTranslation;
  /** Re-translate now and wait until Envoy accepted (or rejected) the new LDS/CDS; returns the version. */
  reload(): Promise<{ version: string; accepted: boolean }>;
  /** Resolves when a line matching `re` appears in `logs` (from `from` on). */
  waitForLog(re: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  close(): Promise<void>;
}

let versionCache: { bin: string; version: string } | undefined;
export function envoyVersion(): string {
  const missing = envoyMissingReason();
  if (missing) throw new Error(missing);
  const bin = envoyBin().path;
  if (versionCache?.bin === bin) return versionCache.version;
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /version: [0-9a-f]+\/(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the version of ${bin}: ${out.trim()}`);
  versionCache = { bin, version: m[1] };
  return m[1];
}

/** Write `text` to `file` atomically (a sibling temp file renamed into place: what Envoy's watcher expects). */
function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const yaml = (o: unknown) => stringify(o, { lineWidth: 0 });

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});
function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (c.pid) process.kill(-c.pid, sig);
  } catch {
    /* already gone */
  }
}

export async function startEnvoyGateway(opts: EnvoyGatewayOptions): Promise<EnvoyGateway> {
  const input = opts.files ?? opts.dir;
  if (!input) throw new Error('startEnvoyGateway: give `files` or `dir`');
  const version = envoyVersion();
  const logs: string[] = [];
  const entries: EnvoyLogEntry[] = [];
  const waiters = new Set<() => void>();
  const push = (e: EnvoyLogEntry) => {
    entries.push(e);
    logs.push(e.line);
    if (opts.print) process.stderr.write(e.line + '\n');
    opts.onLog?.(e);
    for (const w of [...waiters]) w();
  };
  const gwLog = (level: 'info' | 'warn' | 'error', message: string) =>
    push({ level, logger: 'flex-gateway', message, line: formatEnvoyLine(level, 'flex-gateway', 'envoy-gateway/gateway.ts:1', message), source: 'gateway', time: new Date() });

  const tOpts: TranslateOptions = { listenPort: opts.listenPort, listenHost: opts.listenHost, wasmPathMap: opts.wasmPathMap, caFile: opts.caFile, routeTimeoutMs: opts.routeTimeoutMs };
  let seq = 1;
  let translation = translateFiles(input, tOpts, String(seq));
  opts.editTranslation?.(translation);
  if (translation.listeners.length === 0) throw new Error('no kind: ApiInstance found in the configuration');
  for (const m of translation.messages) gwLog(m.level, m.message);
  if (opts.caFile && !existsSync(opts.caFile)) throw new Error(`CA file ${opts.caFile} does not exist`);

  const configDir = mkdtempSync(path.join(tmpdir(), 'cequence-envoy-'));
  const adminPath = path.join(configDir, 'admin-address');
  writeFileSync(path.join(configDir, 'envoy.yaml'), yaml(bootstrap(configDir)));
  const ldsFile = path.join(configDir, 'lds', 'lds.yaml');
  const cdsFile = path.join(configDir, 'cds', 'cds.yaml');
  mkdirSync(path.dirname(ldsFile));
  mkdirSync(path.dirname(cdsFile));
  writeAtomic(cdsFile, yaml(translation.cds));
  writeAtomic(ldsFile, yaml(translation.lds));

  const level = opts.logLevel === 'warn' ? 'warning' : (opts.logLevel ?? 'info');
  const args = [
    '-c', path.join(configDir, 'envoy.yaml'),
    '--admin-address-path', adminPath,
    '--concurrency', String(opts.workers ?? 1),
    '--disable-hot-restart',
    '--drain-time-s', String(opts.drainTimeS ?? 2),
    '-l', level,
    ...(opts.componentLogLevel ? ['--component-log-level', opts.componentLogLevel] : []),
    ...(opts.extraArgs ?? []),
  ];
  // Own process group, so close() (and this process's exit) ends Envoy and anything it started.
  const child = spawn(envoyBin().path, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    live.delete(child);
    for (const w of [...waiters]) w();
  });
  // 'close' comes after 'exit' once stdout/stderr are drained: the last log lines (on_done) are read.
  const exitPromise = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.on('error', (e) => gwLog('error', `envoy: ${e.message}`));
  for (const stream of [child.stderr!, child.stdout!]) {
    createInterface({ input: stream }).on('line', (line) => push(parseEnvoyLine(line)));
  }
  const lastLines = () => {
    const bad = entries.filter((e) => e.source === 'envoy' && /critical|error/.test(e.level));
    return (bad.length ? bad : entries).slice(-3).map((e) => e.message).join(' | ');
  };
  /** Envoy's reason for rejecting the update written at entries[mark]. */
  const rejection = (mark: number) => {
    const r = entries.slice(mark).map((e) => /update rejected: ([\s\S]*)$/.exec(e.message)?.[1]).filter(Boolean);
    return r.length ? r.join(' | ') : lastLines();
  };

  let adminUrl = '';
  const cleanup = async () => {
    watchers.forEach((w) => w.close());
    if (timer) clearTimeout(timer);
    if (!exited) {
      killGroup(child, 'SIGTERM');
      const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(t);
    }
    rmSync(configDir, { recursive: true, force: true });
  };
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;

  let listeners: EnvoyGateway['listeners'];
  try {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 20000);
    // With file-based LDS/CDS a configuration Envoy cannot load (e.g. a module that fails) does not
    // stop Envoy: it is rejected like an update and Envoy runs on without it. Start-up fails on either.
    const exitedWhy = () => {
      if (exited) return `Envoy exited (${exited.signal ?? `code ${exited.code}`}) before it was ready: ${lastLines()}`;
      const r = entries.map((e) => (e.source === 'envoy' ? /update rejected: ([\s\S]*)$/.exec(e.message)?.[1] : undefined)).find(Boolean);
      return r ? `Envoy rejected the configuration: ${r} (${lastLines()})` : undefined;
    };
    while (!existsSync(adminPath) || statSync(adminPath).size === 0) {
      const why = exitedWhy();
      if (why) throw new Error(why);
      if (Date.now() > deadline) throw new Error(`Envoy did not write its admin address in time: ${lastLines()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    adminUrl = `http://${readFileSync(adminPath, 'utf8').trim()}`;
    await waitForReady(adminUrl, deadline, exitedWhy);
    const ports = await waitForListeners(adminUrl, translation.listeners.map((l) => l.listenerName), deadline, exitedWhy);
    listeners = translation.listeners.map((l) => {
      const host = opts.listenHost ?? '127.0.0.1';
      const port = ports[l.listenerName];
      return { name: l.listenerName, port, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${l.basePath}` };
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  for (const l of listeners) gwLog('info', `listening on ${l.url} for ApiInstance ${l.name} (Envoy ${version}, admin ${adminUrl})`);

  // Re-translation: one at a time; a change during a reload schedules another.
  let reloading: Promise<{ version: string; accepted: boolean }> | undefined;
  let again = false;
  async function reloadOnce(): Promise<{ version: string; accepted: boolean }> {
    const v = String(++seq);
    let next: EnvoyTranslation;
    try {
      // Listener ports stay what Envoy bound: port 0 in the file keeps the same socket on update.
      next = translateFiles(input!, tOpts, v);
      opts.editTranslation?.(next);
    } catch (e) {
      gwLog('error', `configuration not applied: ${(e as Error).message}`);
      return { version: v, accepted: false };
    }
    for (const m of next.messages) gwLog(m.level, m.message);
    const before = await xdsStats(adminUrl);
    const mark = entries.length;
    writeAtomic(cdsFile, yaml(next.cds));
    writeAtomic(ldsFile, yaml(next.lds));
    const accepted = await waitForVersion(adminUrl, v, Date.now() + 10000, before);
    if (accepted) translation = next;
    gwLog(accepted ? 'info' : 'error', accepted ? `configuration ${v} applied` : `configuration ${v} rejected by Envoy: ${rejection(mark)}`);
    return { version: v, accepted };
  }
  function reload(): Promise<{ version: string; accepted: boolean }> {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = reloadOnce().finally(() => {
      reloading = undefined;
      if (again) {
        again = false;
        void reload();
      }
    });
    return reloading;
  }

  if (opts.watch ?? true) {
    const targets = Array.isArray(input) ? input : [input];
    for (const t of targets) {
      if (!existsSync(t)) continue;
      watchers.push(watch(t, () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void reload(), opts.debounceMs ?? 150);
      }));
    }
  }

  let closed = false;
  return {
    url: listeners[0].url,
    port: listeners[0].port,
    listeners,
    adminUrl,
    logs,
    entries,
    version,
    pid: child.pid!,
    configDir,
    get translation() {
      return translation;
    },
    reload,
    waitForLog(re, timeoutMs = 5000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.slice(from).find((l) => re.test(l));
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (exited) {
            done();
            reject(new Error(`Envoy exited while waiting for ${re}`));
          }
        };
        const t = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a log line matching ${re}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await cleanup();
    },
  };
}

