// Local gateway: an HTTP/1.1 reverse proxy on loopback that runs the bound proxy-wasm policy on
// every request (Envoy's HTTP connection manager + wasm filter + router, reduced to what a
// single-filter local-mode gateway does). This file reads the configuration, starts the policy's
// VMs, logs, listens and binds each connection to a worker; proxy.ts carries each request.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHost, type ProxyWasmHost } from '../host/host.ts';
import type { LogLevelName } from '../host/abi.ts';
import { formatEnvoyLine, type LogEntry, type LogSink } from '../host/log.ts';
import type { WasmVm } from '../host/vm.ts';
import {
  buildConfig, listConfigFiles, loadModuleBytes, loadResources, selectorMatches, type ApiInstance, type GatewayConfig, type PolicyPlan,
} from './config.ts';
import { createProxy, type ConnectionSlot } from './proxy.ts';

export interface GatewayOptions {
  /** conf.d directory, or a list of YAML files / directories. */
  files?: string[] | string;
  dir?: string;
  /** Listener port override (0 = any free port). Default: the ApiInstance's spec.address port. */
  listenPort?: number;
  listenHost?: string;
  /** Worker VMs per policy (Envoy: one per worker thread). */
  workers?: number;
  failOpen?: boolean;
  /** Map file:///… implementation paths to local files. */
  wasmPathMap?: Record<string, string> | ((p: string) => string | undefined);
  /** Every log entry (host, wasm and gateway lines). */
  onLog?: LogSink;
  /** Print log lines to stdout/stderr. */
  print?: boolean;
  logLevel?: LogLevelName;
  /** Override/add clusters (name -> base URL). */
  clusters?: Record<string, string>;
  /** Envoy route timeout: from the end of the request to the end of the response (0 = none). */
  upstreamTimeoutMs?: number;
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every log line so far, Envoy-formatted. */
  logs: string[];
  entries: LogEntry[];
  /** Worker VMs of the bound policy (empty when no policy applies). */
  vms: WasmVm[];
  host?: ProxyWasmHost;
  config: GatewayConfig;
  api: ApiInstance;
  policy?: PolicyPlan;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const logs: string[] = [];
  const entries: LogEntry[] = [];
  const level = opts.logLevel ?? 'info';
  const LEVELS: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
  const sink: LogSink = (e) => {
    entries.push(e);
    logs.push(e.line);
    if (opts.print) (LEVELS.indexOf(e.level) >= 3 ? process.stderr : process.stdout).write(e.line + '\n');
    opts.onLog?.(e);
  };
  const gwLog = (lvl: LogLevelName, message: string, logger = 'flex-gateway') => {
    if (LEVELS.indexOf(lvl) < LEVELS.indexOf(level)) return;
    const time = new Date();
    sink({ level: lvl, message, line: formatEnvoyLine(lvl, logger, 'emulator/gateway/gateway.ts:1', message, undefined, time), source: 'host', time });
  };

  const input = opts.files ?? opts.dir;
  if (!input) throw new Error('startGateway: give `files` or `dir`');
  const config = buildConfig(loadResources(listConfigFiles(input)));
  for (const w of config.warnings) gwLog('warn', w);
  const api = config.apiInstances[0];
  if (!api) throw new Error('no kind: ApiInstance found in the configuration');
  if (config.apiInstances.length > 1) gwLog('warn', `${config.apiInstances.length} ApiInstances found; serving ${api.name} only`);

  let policy: PolicyPlan | undefined;
  for (const p of config.policies) {
    if (config.apiInstances.some((a) => selectorMatches(p.targetRef, a))) {
      if (selectorMatches(p.targetRef, api)) policy ??= p;
    } else {
      gwLog('error', `ApiInstance not found on ${p.bindingName}`);
    }
  }

  let host: ProxyWasmHost | undefined;
  if (policy) {
    const bytes = loadModuleBytes(policy.moduleSource, opts.wasmPathMap);
    try {
      host = await createHost(bytes, {
        config: JSON.stringify(policy.config),
        rootId: policy.rootId,
        pluginName: policy.bindingName,
        workers: opts.workers ?? 1,
        clusters: { ...config.clusters, ...(opts.clusters ?? {}) },
        failOpen: opts.failOpen ?? false,
        logLevel: level,
        onLog: sink,
        keepLogs: false,
      });
    } catch (e) {
      gwLog('critical', `policy ${policy.bindingName} failed to load: ${(e as Error).message}`);
      throw e;
    }
    gwLog('info', `policy ${policy.implementationName} applied to ${api.name} via ${policy.bindingName} (${host.vms.length} worker VM(s))`);
  } else {
    gwLog('info', `no policy applied to ${api.name}`);
  }

  const listenerBase = api.listenAddress.pathname.replace(/\/$/, '');
  const proxy = createProxy({ api, host, listenerBase, routeTimeoutMs: opts.upstreamTimeoutMs ?? 15000 });

  let connSeq = 0;
  const sockets = new Set<Socket>();
  const connections = new WeakMap<Socket, ConnectionSlot>();

  const server = http.createServer({ keepAlive: true }, (req, res) =>
    proxy.handle(req, res, connections.get(req.socket) ?? { worker: 0, id: ++connSeq }));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    connections.set(s, { worker: host ? host.nextWorker() : 0, id: ++connSeq });
  });

  const port = opts.listenPort ?? Number(api.listenAddress.port || 80);
  const listenHost = opts.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, () => { server.off('error', reject); resolve(); });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${listenHost}:${actualPort}${listenerBase}`;
  gwLog('info', `listening on ${url} for ApiInstance ${api.name} -> ${api.upstream.href}`);

  let closed = false;
  return {
    url,
    port: actualPort,
    logs,
    entries,
    vms: host?.vms ?? [],
    host,
    config,
    api,
    policy,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
      host?.close();
      proxy.close();
    },
  };
}
