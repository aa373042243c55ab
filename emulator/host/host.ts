// The proxy-wasm host: one plugin (module + configuration + root id) running in N worker VMs,
// like Envoy runs one VM per worker thread. Shared data, shared queues and metrics are shared
// by all VMs of the same vm_id, as in Envoy.
import { LOG_LEVEL_NAMES, LogLevel, WasmResult, type LogLevelName } from './abi.ts';
import { formatEnvoyLine, WASM_LOG_FILES, WASM_VM_FILE, wasmLogPrefix, type LogContextKind, type LogEntry, type LogSink } from './log.ts';
import { MetricStore, type MetricEntry } from './metrics.ts';
import { normalizePairs, type Pairs } from './pairs.ts';
import type { HostContext, PropertyEnv } from './context.ts';
import { performHttpCall, type HttpCallResponse } from './httpcall.ts';
import { HostStream, type ConnectionInfo, type StreamInfo, type StreamSink } from './stream.ts';
import { disallowedImports } from './imports.ts';
import { WasmVm } from './vm.ts';

export interface HostOptions {
  /** Plugin configuration bytes (buffer 7 during proxy_on_configure). Objects are JSON-encoded. */
  config?: string | Buffer | object;
  /** VM configuration (buffer 6). */
  vmConfig?: string | Buffer;
  rootId?: string;
  vmId?: string;
  pluginName?: string;
  /** Number of worker VMs (Envoy: one per worker thread). */
  workers?: number;
  /** Cluster name -> base URL (http://host:port or https://host:port). */
  clusters?: Record<string, string>;
  /** Minimum level passed to the sink and returned by proxy_get_log_level (Envoy default: info). */
  logLevel?: LogLevelName;
  onLog?: LogSink;
  /** Keep every log entry in `host.logs` (default true). */
  keepLogs?: boolean;
  /** fail_open: streams of a failed VM pass without the filter instead of getting 503. */
  failOpen?: boolean;
  nodeId?: string;
  nodeCluster?: string;
  /** Clock override (ns since epoch), for tests. */
  now?: () => bigint;
  /** Make the host refuse metrics, as a host without them (or with a full stat store) would:
   *  `define` true → proxy_define_metric answers BadArgument for that name; `update` true →
   *  proxy_increment_metric / proxy_record_metric answer NotFound for it. */
  refuseMetrics?: { define?: (name: string) => boolean; update?: (name: string) => boolean };
}

export interface StreamOptions {
  worker?: number;
  connection?: Partial<ConnectionInfo>;
  protocol?: string;
  clusterName?: string;
  routeName?: string;
  upstreamAddress?: string;
  upstreamPort?: number;
}

export interface SyntheticStream extends StreamOptions {
  request: {
    headers: Pairs | Record<string, string | string[]>;
    body?: (Buffer | string)[];
    trailers?: Pairs | Record<string, string | string[]>;
  };
  response?: {
    headers: Pairs | Record<string, string | string[]>;
    body?: (Buffer | string)[];
    trailers?: Pairs | Record<string, string | string[]>;
  };
  /** Stop after the request (client abort): no response at all, then on_log/on_done/on_delete. */
  abortAfterRequest?: boolean;
}

export interface SyntheticResult {
  worker: number;
  contextId: number;
  upstream: { headers?: Pairs; body: Buffer; trailers?: Pairs; chunks: number; ended: boolean };
  downstream: { headers?: Pairs; body: Buffer; trailers?: Pairs; chunks: number; ended: boolean };
  localReply?: { status: number; details: string };
  reset?: string;
}

let connectionSeq = 0;

function defaultNow(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export class ProxyWasmHost implements HostContext {
  readonly vms: WasmVm[] = [];
  readonly logs: LogEntry[] = [];
  readonly config: Buffer;
  readonly vmConfig: Buffer;
  readonly rootId: string;
  readonly vmId: string;
  readonly pluginName: string;
  readonly failOpen: boolean;
  logLevel: LogLevelName;
  readonly propertyEnv: PropertyEnv;
  private readonly clusters: Map<string, string>;
  private readonly onLog?: LogSink;
  private readonly keepLogs: boolean;
  private rr = 0;
  private closed = false;
  private readonly shared = new Map<string, { value: Buffer; cas: number }>();
  private nextCas = 1;
  private readonly queues = new Map<number, { name: string; onReady: (token: number) => void; items: Buffer[] }>();
  private readonly queueByName = new Map<string, number>();
  private nextQueueToken = 1;
  private readonly metrics = new MetricStore();
  private readonly refuseMetrics: HostOptions['refuseMetrics'];
  private readonly pendingCalls = new Set<() => void>();
  readonly nowNs: () => bigint;

  constructor(readonly module: WebAssembly.Module, opts: HostOptions = {}) {
    const cfg = opts.config;
    this.config = cfg === undefined ? Buffer.alloc(0) : Buffer.isBuffer(cfg) ? cfg : Buffer.from(typeof cfg === 'string' ? cfg : JSON.stringify(cfg));
    this.vmConfig = opts.vmConfig === undefined ? Buffer.alloc(0) : Buffer.from(opts.vmConfig);
    this.rootId = opts.rootId ?? 'main';
    this.vmId = opts.vmId ?? '';
    this.pluginName = opts.pluginName ?? 'plugin';
    this.failOpen = opts.failOpen ?? false;
    this.logLevel = opts.logLevel ?? 'info';
    this.clusters = new Map(Object.entries(opts.clusters ?? {}));
    this.onLog = opts.onLog;
    this.keepLogs = opts.keepLogs ?? true;
    this.nowNs = opts.now ?? defaultNow;
    this.refuseMetrics = opts.refuseMetrics;
    this.propertyEnv = {
      pluginName: this.pluginName,
      rootId: this.rootId,
      vmId: this.vmId,
      nodeId: opts.nodeId ?? 'flex-gateway-emulator',
      nodeCluster: opts.nodeCluster ?? 'flex-gateway',
      listenerDirection: 0,
    };
  }

  /** Instantiate the worker VMs and start the plugin in each (vm_start + configure). */
  start(workers: number): void {
    const bad = disallowedImports(this.module);
    if (bad.length) {
      // Envoy 1.40 (V8) stops at the first import it lacks, in the module's import order, and
      // names only that one; then the plugin fails to load (fail closed: the configuration is refused).
      const msg = `Failed to load Wasm module due to a missing import: ${bad[0]}`;
      this.hostLog('error', msg);
      this.hostLog('error', 'Wasm VM failed Failed to initialize Wasm code', undefined, 'wasm', 'source/extensions/common/wasm/wasm.cc:104');
      this.hostLog('critical', `Plugin ${this.pluginName} failed to load`, undefined, 'wasm', 'source/extensions/common/wasm/wasm.cc:626');
      throw new Error(msg);
    }
    for (let i = 0; i < workers; i++) {
      const vm = new WasmVm(this, i);
      this.vms.push(vm);
      try {
        vm.instantiate(this.module);
        vm.start(this.config);
      } catch (e) {
        const msg = (e as Error).message;
        this.hostLog('critical', `Wasm VM ${i} failed to start: ${msg}`, i);
        this.close();
        throw e;
      }
    }
  }

  // ---- logging ------------------------------------------------------------------------------

  private emit(entry: LogEntry): void {
    if (this.keepLogs) this.logs.push(entry);
    this.onLog?.(entry);
  }
  wasmLog(level: LogLevelName, message: string, worker?: number, context: LogContextKind = 'stream'): void {
    if (LogLevel[level] < LogLevel[this.logLevel]) return;
    const prefix = wasmLogPrefix(context, this.pluginName, this.rootId, this.vmId);
    const time = new Date();
    const line = formatEnvoyLine(level, 'wasm', WASM_LOG_FILES[level], `wasm log${prefix}: ${message}`, worker, time);
    this.emit({ level, message, line, source: 'wasm', worker, time });
  }
  hostLog(level: LogLevelName, message: string, worker?: number, logger = 'wasm', file = WASM_VM_FILE): void {
    if (LogLevel[level] < LogLevel[this.logLevel]) return;
    const time = new Date();
    this.emit({ level, message, line: formatEnvoyLine(level, logger, file, message, worker, time), source: 'host', worker, time });
  }

  // ---- clusters & http calls ----------------------------------------------------------------

  hasCluster(name: string): boolean {
    return this.clusters.has(name);
  }
  setCluster(name: string, baseUrl: string): void {
    this.clusters.set(name, baseUrl);
  }
  startHttpCall(cluster: string, headers: Pairs, body: Buffer, _trailers: Pairs, timeoutMs: number,
    onResponse: (response: HttpCallResponse | null) => void): void {
    const base = this.clusters.get(cluster)!;
    let cancel: () => void = () => {};
    const finish = (r: HttpCallResponse | null) => {
      this.pendingCalls.delete(cancel);
      if (this.closed) return;
      // Always asynchronous: never re-enter the VM from inside proxy_http_call.
      setImmediate(() => { if (!this.closed) onResponse(r); });
    };
    cancel = performHttpCall(base, headers, body, timeoutMs, finish);
    this.pendingCalls.add(cancel);
  }
  get pendingHttpCalls(): number {
    return this.pendingCalls.size;
  }

  // ---- shared data / queues / metrics (the module's metrics: one store, refusals per HostOptions) -------------------------------------------------------

  sharedGet(key: string): { value: Buffer; cas: number } | undefined {
    return this.shared.get(key);
  }
  sharedSet(key: string, value: Buffer, cas: number): number {
    const e = this.shared.get(key);
    if (e && cas !== 0 && cas !== e.cas) return WasmResult.CasMismatch;
    let next = this.nextCas++;
    if (next === 0 || next > 0xffffffff) { this.nextCas = 2; next = 1; }
    this.shared.set(key, { value: Buffer.from(value), cas: next });
    return WasmResult.Ok;
  }
  queueRegister(name: string, onReady: (token: number) => void): number {
    const existing = this.queueByName.get(name);
    if (existing) {
      this.queues.get(existing)!.onReady = onReady;
      return existing;
    }
    const token = this.nextQueueToken++;
    this.queues.set(token, { name, onReady, items: [] });
    this.queueByName.set(name, token);
    return token;
  }
  queueResolve(vmId: string, name: string): number | undefined {
    return vmId === this.vmId ? this.queueByName.get(name) : undefined;
  }
  queueEnqueue(token: number, data: Buffer): number {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(Buffer.from(data));
    setImmediate(() => { if (!this.closed) q.onReady(token); });
    return WasmResult.Ok;
  }
  queueDequeue(token: number): Buffer | number {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    const item = q.items.shift();
    return item ?? WasmResult.Empty;
  }
  /** False when the host refuses the definition (HostOptions.refuseMetrics). */
  metricDefine(name: string, type: number): boolean {
    if (this.refuseMetrics?.define?.(name)) return false;
    this.metrics.define(name, type);
    return true;
  }
  metricUpdateRefused(name: string): boolean {
    return this.refuseMetrics?.update?.(name) ?? false;
  }
  metricAdd(name: string, v: bigint): void { this.metrics.add(name, v); }
  metricSet(name: string, v: bigint): void { this.metrics.set(name, v); }
  metricRecord(name: string, v: bigint): void { this.metrics.record(name, v); }
  metricGet(name: string): bigint { return this.metrics.get(name); }
  /** Snapshot of metrics defined by the module: name -> value (a histogram: its sample count). */
  metricValues(): Record<string, bigint> { return this.metrics.values(); }
  /** Every metric defined by the module, with its type (and a histogram's samples). */
  metricEntries(): MetricEntry[] { return this.metrics.entries(); }
  /** The module's metrics as Envoy's admin `/stats/prometheus` shows them (MetricStore.prometheusText). */
  prometheusText(): string { return this.metrics.prometheusText(); }

  // ---- streams ------------------------------------------------------------------------------

  /** Pick the next worker round-robin (Envoy balances connections over workers). */
  nextWorker(): number {
    const w = this.rr % this.vms.length;
    this.rr++;
    return w;
  }

  openStream(sink: StreamSink, opts: StreamOptions = {}): HostStream {
    const worker = opts.worker ?? this.nextWorker();
    const vm = this.vms[worker];
    if (!vm) throw new Error(`no worker ${worker}`);
    const c = opts.connection ?? {};
    const info: StreamInfo = {
      connection: {
        sourceAddress: c.sourceAddress ?? '127.0.0.1',
        sourcePort: c.sourcePort ?? 50000,
        destinationAddress: c.destinationAddress ?? '127.0.0.1',
        destinationPort: c.destinationPort ?? 8081,
        connectionId: c.connectionId ?? ++connectionSeq,
      },
      protocol: opts.protocol ?? 'HTTP/1.1',
      startTimeNs: this.nowNs(),
      requestBodyBytes: 0,
      responseBodyBytes: 0,
      responseFlags: 0,
      clusterName: opts.clusterName,
      routeName: opts.routeName,
      upstreamAddress: opts.upstreamAddress,
      upstreamPort: opts.upstreamPort,
    };
    return new HostStream(vm, info, sink, this.failOpen);
  }

  /**
   * Run one complete synthetic stream through a VM without any network: request headers,
   * body chunks, trailers, then (unless the filter answered locally) the response, then
   * on_log/on_done/on_delete. Returns what went upstream and downstream.
   */
  runStream(s: SyntheticStream): SyntheticResult {
    const worker = s.worker ?? this.nextWorker();
    const up: Buffer[] = [];
    const down: Buffer[] = [];
    const res: SyntheticResult = {
      worker,
      contextId: 0,
      upstream: { body: Buffer.alloc(0), chunks: 0, ended: false },
      downstream: { body: Buffer.alloc(0), chunks: 0, ended: false },
    };
    const sink: StreamSink = {
      requestHeaders: (h, eos) => { res.upstream.headers = h.map((p) => [...p] as [string, string]); if (eos) res.upstream.ended = true; },
      requestData: (c, eos) => { up.push(c); res.upstream.chunks++; if (eos) res.upstream.ended = true; },
      requestTrailers: (t) => { res.upstream.trailers = t.map((p) => [...p] as [string, string]); res.upstream.ended = true; },
      responseHeaders: (h, eos) => { res.downstream.headers = h.map((p) => [...p] as [string, string]); if (eos) res.downstream.ended = true; },
      responseData: (c, eos) => { down.push(c); res.downstream.chunks++; if (eos) res.downstream.ended = true; },
      responseTrailers: (t) => { res.downstream.trailers = t.map((p) => [...p] as [string, string]); res.downstream.ended = true; },
      localReply: (status, details) => { res.localReply = { status, details }; },
      reset: (reason) => { res.reset = reason; },
    };
    const st = this.openStream(sink, { ...s, worker });
    const toBuf = (c: Buffer | string) => (Buffer.isBuffer(c) ? c : Buffer.from(c));
    const phase = (
      part: { headers: SyntheticStream['request']['headers']; body?: (Buffer | string)[]; trailers?: SyntheticStream['request']['trailers'] },
      hdr: (h: Pairs, eos: boolean) => void,
      data: (c: Buffer, eos: boolean) => void,
      trl: (t: Pairs) => void,
    ) => {
      const body = part.body ?? [];
      const trailers = part.trailers ? normalizePairs(part.trailers) : undefined;
      hdr(normalizePairs(part.headers), body.length === 0 && !trailers);
      body.forEach((c, i) => data(toBuf(c), i === body.length - 1 && !trailers));
      if (trailers) trl(trailers);
    };
    phase(s.request, (h, e) => st.requestHeaders(h, e), (c, e) => st.requestData(c, e), (t) => st.requestTrailers(t));
    res.contextId = st.contextId;
    if (!s.abortAfterRequest && s.response && !st.localReplySent && !res.reset) {
      phase(s.response, (h, e) => st.responseHeaders(h, e), (c, e) => st.responseData(c, e), (t) => st.responseTrailers(t));
    }
    st.complete();
    res.upstream.body = Buffer.concat(up);
    res.downstream.body = Buffer.concat(down);
    return res;
  }

  /** Stop timers, cancel pending calls, run on_done/on_delete on every root context. */
  close(): void {
    if (this.closed) return;
    for (const vm of this.vms) vm.shutdown();
    this.closed = true;
    for (const c of this.pendingCalls) c();
    this.pendingCalls.clear();
    for (const vm of this.vms) vm.clearTick();
  }
}

export async function compileModule(wasm: Uint8Array): Promise<WebAssembly.Module> {
  return WebAssembly.compile(wasm);
}

/**
 * Compile the module, refuse imports Envoy does not provide, and start `workers` VMs
 * (_initialize, root context, proxy_on_vm_start, proxy_on_configure).
 */
export async function createHost(wasm: Uint8Array | WebAssembly.Module, opts: HostOptions = {}): Promise<ProxyWasmHost> {
  const module = wasm instanceof WebAssembly.Module ? wasm : await compileModule(wasm);
  const host = new ProxyWasmHost(module, opts);
  host.start(Math.max(1, opts.workers ?? 1));
  return host;
}

export { LOG_LEVEL_NAMES };
