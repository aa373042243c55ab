// One Wasm VM (one Envoy worker's instance of the module): instantiation and _initialize, the root
// context's vm_start and configure, stream contexts, calls into the module and the failure that
// ends it, ticks, and the callbacks for http call responses and queues. The functions it imports
// are in imports.ts.
import { LOG_LEVEL_NAMES, WasmResult } from './abi.ts';
import type { CallerVm, ContextRecord } from './caller-vm.ts';
import type { HostContext } from './context.ts';
import { GuestMemory } from './guest-memory.ts';
import type { HttpCallResponse } from './httpcall.ts';
import { hostImports } from './imports.ts';
import { ProcExit } from './imports-wasi.ts';
import type { HostStream, StreamVm } from './stream.ts';

export class WasmVm implements StreamVm, CallerVm {
  instance!: WebAssembly.Instance;
  exports!: Record<string, any>;
  failed = false;
  failure?: string;
  rootContextId = 0;
  private nextContextId = 1;
  readonly contexts = new Map<number, ContextRecord>();
  private currentContextId = 0;
  private effectiveContextId = 0;
  private callDepth = 0;
  /** Plugin configuration, visible as buffer 7 only during proxy_on_configure. */
  configuring: Buffer | null = null;
  /** http_call response, visible as header map 6/7 and buffer 4 only during its callback. */
  httpCallResponse: HttpCallResponse | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private tickPeriod = 0;
  private deferredStreams = new Set<HostStream>();
  readonly memory = new GuestMemory(() => this.exports);
  rootDonePending = false;
  streamsOpen = 0;

  constructor(readonly host: HostContext, readonly index: number) {}

  // ---- lifecycle ----------------------------------------------------------------------------

  instantiate(module: WebAssembly.Module): void {
    this.instance = new WebAssembly.Instance(module, hostImports(this));
    this.exports = this.instance.exports as Record<string, any>;
    const abi = ['proxy_abi_version_0_2_1', 'proxy_abi_version_0_2_0'].find((n) => typeof this.exports[n] === 'function');
    if (!abi) throw new Error('Wasm module is missing the Proxy-Wasm ABI version (proxy_abi_version_0_2_1)');
    if (!(this.exports.memory instanceof WebAssembly.Memory)) throw new Error('Wasm module does not export its memory');
    if (typeof this.exports.malloc !== 'function' && typeof this.exports.proxy_on_memory_allocate !== 'function') {
      throw new Error('Wasm module is missing malloc function.');
    }
    for (const start of ['_initialize', '_start']) {
      if (typeof this.exports[start] === 'function') {
        this.call(start, 0);
        if (this.failed) throw new Error(`Wasm VM failed in ${start}: ${this.failure}`);
        break;
      }
    }
  }

  /** Create the root context, proxy_on_vm_start, proxy_on_configure. Throws on failure. */
  start(config: Buffer): void {
    const id = this.nextContextId++;
    this.rootContextId = id;
    this.contexts.set(id, { id, isRoot: true, status: { code: 0, message: '' } });
    this.call('proxy_on_context_create', id, id, 0);
    const started = this.call('proxy_on_vm_start', id, id, this.host.vmConfig.length);
    if (this.failed) throw new Error(`Failed to start base Wasm: ${this.failure}`);
    if (started === 0) throw new Error('Failed to start base Wasm (proxy_on_vm_start returned false)');
    this.configuring = config;
    const configured = this.call('proxy_on_configure', id, id, config.length);
    this.configuring = null;
    this.flushAfterCall();
    if (this.failed) throw new Error(`Failed to configure base Wasm plugin: ${this.failure}`);
    if (configured === 0) throw new Error('Failed to configure base Wasm plugin (proxy_on_configure returned false)');
  }

  /** Shut down: proxy_on_done on the root context, then proxy_on_delete. */
  shutdown(): void {
    this.clearTick();
    if (this.failed || !this.rootContextId) return;
    const done = this.call('proxy_on_done', this.rootContextId, this.rootContextId);
    if (done !== 0 || this.failed) {
      this.call('proxy_on_delete', this.rootContextId, this.rootContextId);
    } else {
      this.rootDonePending = true;
      this.call('proxy_on_delete', this.rootContextId, this.rootContextId);
    }
    this.flushAfterCall();
  }

  createStreamContext(stream: HostStream): number {
    const id = this.nextContextId++;
    this.contexts.set(id, { id, isRoot: false, stream, status: { code: 0, message: '' } });
    this.streamsOpen++;
    this.call('proxy_on_context_create', id, id, this.rootContextId);
    return id;
  }

  dropStream(stream: HostStream): void {
    if (stream.contextId && this.contexts.get(stream.contextId)?.stream === stream) {
      this.contexts.delete(stream.contextId);
      this.streamsOpen--;
    }
    this.deferredStreams.delete(stream);
  }

  /**
   * Call an export. Any exception (trap, proc_exit, host error) marks the VM failed, as Envoy
   * does: the VM is never called again.
   */
  call(name: string, contextId: number, ...args: number[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.exports[name];
    if (typeof fn !== 'function') return undefined;
    const savedCurrent = this.currentContextId;
    const savedEffective = this.effectiveContextId;
    this.currentContextId = contextId;
    this.effectiveContextId = 0;
    this.callDepth++;
    try {
      const r = fn(...args);
      return r === undefined ? 0 : Number(r);
    } catch (e) {
      this.fail(name, e);
      return undefined;
    } finally {
      this.callDepth--;
      this.currentContextId = savedCurrent;
      this.effectiveContextId = savedEffective;
    }
  }

  /** Run actions the module asked for during a call (continue_stream, local replies...). */
  flushAfterCall(): void {
    if (this.callDepth > 0) return;
    while (this.deferredStreams.size) {
      const streams = [...this.deferredStreams];
      this.deferredStreams.clear();
      for (const s of streams) s.runDeferred();
    }
  }

  fail(where: string, e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const msg = e instanceof ProcExit ? `wasi proc_exit(${e.code})` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.failure = `${where}: ${msg}`;
    this.clearTick();
    this.host.hostLog('critical', `Function: ${where} failed: Uncaught ${msg}`, this.index);
  }

  // ---- ticks --------------------------------------------------------------------------------

  /**
   * As Envoy's Wasm::tickHandler: one timer per root context, re-armed with the current period
   * after each proxy_on_tick returns (so the period runs from the end of a tick, not at a fixed
   * rate); a period set to 0 (also from inside on_tick) stops it.
   */
  setTickPeriod(ms: number): void {
    this.clearTick();
    this.tickPeriod = ms;
    if (ms > 0) this.armTick(ms);
  }
  private armTick(ms: number): void {
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      if (this.failed) return;
      this.call('proxy_on_tick', this.rootContextId, this.rootContextId);
      this.flushAfterCall();
      // on_tick may have set a new period (and armed it) or stopped the timer.
      if (!this.failed && !this.tickTimer && this.tickPeriod > 0) this.armTick(this.tickPeriod);
    }, ms);
    this.tickTimer.unref();
  }
  clearTick(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.tickPeriod = 0;
  }

  deliverHttpCallResponse(callId: number, response: HttpCallResponse | null): void {
    if (this.failed) return;
    const root = this.contexts.get(this.rootContextId);
    if (!root) return;
    // A reset (no response): no header map (BadArgument) and no body buffer (NotFound), status
    // BrokenConnection "reset". Envoy never sets the code back: a later successful call's callback
    // still reads BrokenConnection (with an empty message) from proxy_get_status.
    this.httpCallResponse = response;
    root.status = response ? { code: root.status.code, message: '' } : { code: WasmResult.BrokenConnection, message: 'reset' };
    this.call(
      'proxy_on_http_call_response', root.id, root.id, callId,
      response?.headers.length ?? 0, response?.body.length ?? 0, response?.trailers.length ?? 0,
    );
    this.httpCallResponse = null;
    root.status = { code: root.status.code, message: '' };
    this.flushAfterCall();
  }

  deliverQueueReady(token: number): void {
    if (this.failed || !this.rootContextId) return;
    this.call('proxy_on_queue_ready', this.rootContextId, this.rootContextId, token);
    this.flushAfterCall();
  }

  // ---- what the host functions use (CallerVm) -----------------------------------------------

  context(): ContextRecord | undefined {
    if (this.effectiveContextId) {
      const c = this.contexts.get(this.effectiveContextId);
      if (c) return c;
    }
    return this.contexts.get(this.currentContextId);
  }
  setEffectiveContext(id: number): boolean {
    if (!this.contexts.has(id)) return false;
    this.effectiveContextId = id;
    return true;
  }
  defer(stream: HostStream): void {
    this.deferredStreams.add(stream);
  }
  log(level: number, message: string): void {
    const c = this.context();
    this.host.wasmLog(LOG_LEVEL_NAMES[level], message, this.index, !c ? 'vm' : c.isRoot ? 'root' : 'stream');
  }
}
