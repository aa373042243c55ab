// One HTTP stream (request + response) through the filter, following Envoy's wasm filter
// (source/extensions/common/wasm/context.cc decodeHeaders/decodeData/... and
// proxy-wasm-cpp-host ContextBase::onRequestHeaders/... CHECK_FAIL_HTTP).
//
// The stream is driven synchronously: the embedder (gateway or a synthetic run) calls
// requestHeaders/requestData/... and the host pushes whatever the filter lets through to the
// StreamSink, in order. Data the filter pauses is held (and buffered when asked) until the
// filter continues.
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus } from './abi.ts';
import type { HostContext } from './context.ts';
import type { Pairs } from './pairs.ts';

/** What a stream needs from the VM that runs its filter (WasmVm implements it). */
export interface StreamVm {
  /** Set once a call trapped: the VM is never called again. */
  readonly failed: boolean;
  readonly host: Pick<HostContext, 'nowNs'>;
  /** proxy_on_context_create for the stream; returns its context id. */
  createStreamContext(stream: HostStream): number;
  /** Call an export in `contextId`; undefined when the VM failed or has no such export. */
  call(name: string, contextId: number, ...args: number[]): number | undefined;
  /** Run what the module asked for during the call (continue, local reply, close). */
  flushAfterCall(): void;
  /** Forget the stream's context once it is done. */
  dropStream(stream: HostStream): void;
}

export interface StreamSink {
  requestHeaders(headers: Pairs, endOfStream: boolean): void;
  requestData(chunk: Buffer, endOfStream: boolean): void;
  requestTrailers(trailers: Pairs): void;
  responseHeaders(headers: Pairs, endOfStream: boolean): void;
  responseData(chunk: Buffer, endOfStream: boolean): void;
  responseTrailers(trailers: Pairs): void;
  /** The filter (or the host, on a failed VM) answers locally: stop the upstream request. */
  localReply?(status: number, details: string): void;
  /** The stream must be reset (e.g. a trap after the response started). */
  reset?(reason: string): void;
}

export interface ConnectionInfo {
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
  connectionId: number;
}

export interface StreamInfo {
  connection: ConnectionInfo;
  protocol: string;
  startTimeNs: bigint;
  endTimeNs?: bigint;
  requestBodyBytes: number;
  responseBodyBytes: number;
  responseCode?: number;
  responseCodeDetails?: string;
  responseFlags: number;
  upstreamAddress?: string;
  upstreamPort?: number;
  clusterName?: string;
  routeName?: string;
}

type Kind = 'request' | 'response';

export class Direction {
  /** Live header map (the one properties and access-log read). */
  map: Pairs | null = null;
  /** Header map readable/writable by the filter right now (own callback, or held). */
  mapVisible = false;
  headersHeld = false;
  headersEos = false;
  headersEmitted = false;
  /** StopAllIteration*: data is buffered without calling the filter until it continues. */
  stopAll = false;
  /** Body buffer visible to the filter (current chunk, or everything buffered so far). */
  body: Buffer | null = null;
  bodyVisible = false;
  /** The filter paused the body (StopIterationAndBuffer...): `body` holds all data not yet sent. */
  buffering = false;
  bodyEos = false;
  trailers: Pairs | null = null;
  trailersVisible = false;
  trailersHeld = false;
  ended = false;
  /** No more data goes out (local reply replaced this direction). */
  dead = false;
  constructor(readonly kind: Kind) {}
}

let streamSeq = 0;

export class HostStream {
  readonly id = ++streamSeq;
  readonly request = new Direction('request');
  readonly response = new Direction('response');
  readonly filterState = new Map<string, Buffer>();
  contextId = 0;
  /** 'wasm' normally; 'passthrough' for fail-open on a failed VM; 'failed' after a fail-closed reply. */
  mode: 'wasm' | 'passthrough' | 'failed' = 'wasm';
  accessLogPhase = false;
  completed = false;
  pendingLocalReply: { status: number; body: Buffer; headers: Pairs; details: string } | null = null;
  pendingContinue = new Set<Kind>();
  pendingClose = false;
  localReplySent = false;

  constructor(
    readonly vm: StreamVm,
    readonly info: StreamInfo,
    readonly sink: StreamSink,
    private readonly failOpen: boolean,
  ) {
    if (vm.failed) this.mode = failOpen ? 'passthrough' : 'wasm';
  }

  // ---- embedder API -------------------------------------------------------------------------

  requestHeaders(headers: Pairs, endOfStream: boolean): void {
    this.onHeaders(this.request, headers, endOfStream);
  }
  requestData(chunk: Buffer, endOfStream: boolean): void {
    this.onData(this.request, chunk, endOfStream);
  }
  requestTrailers(trailers: Pairs): void {
    this.onTrailers(this.request, trailers);
  }
  responseHeaders(headers: Pairs, endOfStream: boolean, details = 'via_upstream'): void {
    if (this.localReplySent && details === 'via_upstream') return; // a local reply replaced it
    this.info.responseCode = Number(headers.find(([k]) => k === ':status')?.[1] ?? 0) || undefined;
    if (this.info.responseCodeDetails === undefined || details !== 'via_upstream') this.info.responseCodeDetails = details;
    this.onHeaders(this.response, headers, endOfStream);
  }
  responseData(chunk: Buffer, endOfStream: boolean, fromLocal = false): void {
    if (this.localReplySent && !fromLocal) return;
    this.onData(this.response, chunk, endOfStream);
  }
  responseTrailers(trailers: Pairs): void {
    if (this.localReplySent) return;
    this.onTrailers(this.response, trailers);
  }

  /**
   * A reply generated by the proxy itself (e.g. upstream connect failure 503, timeout 504):
   * it goes through the filter's response callbacks like any response (Envoy sendLocalReply).
   */
  proxyLocalReply(status: number, body: string | Buffer, details: string, extraHeaders: Pairs = []): void {
    this.localReply(status, Buffer.isBuffer(body) ? body : Buffer.from(body), extraHeaders, details);
  }

  /** End of the stream (response complete, or client abort): on_log, on_done, on_delete. */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.info.endTimeNs = this.vm.host.nowNs();
    if (this.contextId === 0 || this.vm.failed) {
      this.vm.dropStream(this);
      return;
    }
    this.accessLogPhase = true;
    this.request.mapVisible = this.response.mapVisible = false;
    this.request.bodyVisible = this.response.bodyVisible = false;
    this.request.trailersVisible = this.response.trailersVisible = false;
    this.vm.call('proxy_on_log', this.contextId, this.contextId);
    this.accessLogPhase = false;
    this.vm.call('proxy_on_done', this.contextId, this.contextId);
    this.vm.call('proxy_on_delete', this.contextId, this.contextId);
    this.vm.dropStream(this);
    this.vm.flushAfterCall();
  }

  // ---- internals ----------------------------------------------------------------------------

  private emitHeaders(d: Direction, eos: boolean): void {
    d.headersEmitted = true;
    d.headersHeld = false;
    d.mapVisible = false;
    if (eos) d.ended = true;
    if (d.kind === 'request') this.sink.requestHeaders(d.map ?? [], eos);
    else this.sink.responseHeaders(d.map ?? [], eos);
  }
  private emitData(d: Direction, chunk: Buffer, eos: boolean): void {
    if (eos) d.ended = true;
    if (d.kind === 'request') this.sink.requestData(chunk, eos);
    else {
      this.info.responseBodyBytes += chunk.length;
      this.sink.responseData(chunk, eos);
    }
  }
  private emitTrailers(d: Direction): void {
    d.trailersHeld = false;
    d.trailersVisible = false;
    d.ended = true;
    if (d.kind === 'request') this.sink.requestTrailers(d.trailers ?? []);
    else this.sink.responseTrailers(d.trailers ?? []);
  }

  /** Release everything a paused direction holds (proxy_continue_stream). */
  private release(d: Direction): void {
    if (d.dead || this.completed) return;
    d.stopAll = false;
    if (d.headersHeld) this.emitHeaders(d, d.headersEos);
    if (d.buffering) {
      const body = d.body ?? Buffer.alloc(0);
      d.buffering = false;
      d.body = null;
      d.bodyVisible = false;
      const eos = d.bodyEos && !d.trailersHeld;
      if (body.length > 0 || eos) this.emitData(d, body, eos);
    }
    if (d.trailersHeld) this.emitTrailers(d);
  }

  /** true when the filter must be skipped for this stream (fail-open on a failed VM). */
  private passthrough(): boolean {
    return this.mode === 'passthrough';
  }

  /** Handle a failed VM for this stream (CHECK_FAIL_HTTP). Returns true if the caller must stop. */
  private checkFailed(d: Direction, pending: () => void): boolean {
    if (!this.vm.failed) return false;
    if (this.mode === 'failed') return true;
    if (this.failOpen) {
      this.mode = 'passthrough';
      pending();
      return true;
    }
    this.failStream(d);
    return true;
  }

  private failStream(_d: Direction): void {
    this.mode = 'failed';
    this.request.dead = true;
    if (this.response.headersEmitted) {
      this.response.dead = true;
      this.sink.reset?.('wasm_fail_stream');
      return;
    }
    this.localReplySent = true;
    this.sink.localReply?.(503, 'wasm_fail_stream');
    this.info.responseCode = 503;
    this.info.responseCodeDetails = 'wasm_fail_stream';
    this.response.map = [[':status', '503'], ['content-length', '0']];
    this.response.dead = true;
    this.response.headersEmitted = true;
    this.response.ended = true;
    this.sink.responseHeaders(this.response.map, true);
  }

  private ensureContext(): boolean {
    if (this.contextId !== 0) return true;
    this.contextId = this.vm.createStreamContext(this);
    return !this.vm.failed;
  }

  private onHeaders(d: Direction, headers: Pairs, eos: boolean): void {
    if (this.completed || d.dead) return;
    d.map = headers.map(([k, v]) => [k, v] as [string, string]); // the filter edits its own copy
    if (this.passthrough()) return this.emitHeaders(d, eos);
    if (this.mode === 'failed') return;
    if (d.kind === 'request' && !this.vm.failed) this.ensureContext();
    if (this.checkFailed(d, () => this.emitHeaders(d, eos))) return;
    if (this.contextId === 0) return this.emitHeaders(d, eos);
    d.mapVisible = true;
    const fn = d.kind === 'request' ? 'proxy_on_request_headers' : 'proxy_on_response_headers';
    const r = this.vm.call(fn, this.contextId, this.contextId, headers.length, eos ? 1 : 0);
    if (this.checkFailed(d, () => this.emitHeaders(d, eos))) return this.vm.flushAfterCall();
    if (this.pendingLocalReply || this.pendingClose) {
      d.headersHeld = true; // stopNextIteration
      d.headersEos = eos;
    } else if (r === FilterHeadersStatus.Continue || r === FilterHeadersStatus.ContinueAndEndStream) {
      this.emitHeaders(d, eos);
    } else {
      d.headersHeld = true;
      d.headersEos = eos;
      if (r === FilterHeadersStatus.StopAllIterationAndBuffer || r === FilterHeadersStatus.StopAllIterationAndWatermark) {
        d.stopAll = true;
      }
    }
    this.vm.flushAfterCall();
  }

  private onData(d: Direction, chunk: Buffer, eos: boolean): void {
    if (this.completed || d.dead) return;
    if (d.kind === 'request') this.info.requestBodyBytes += chunk.length;
    if (this.passthrough()) return this.emitData(d, chunk, eos);
    if (this.mode === 'failed') return;
    const passOn = () => {
      if (d.headersHeld) this.emitHeaders(d, d.headersEos);
      const body = d.buffering && d.body ? Buffer.concat([d.body, chunk]) : chunk;
      d.buffering = false;
      d.body = null;
      this.emitData(d, body, eos);
    };
    if (this.checkFailed(d, passOn)) return;
    if (this.contextId === 0) return passOn();
    if (d.stopAll) {
      d.buffering = true;
      d.body = d.body ? Buffer.concat([d.body, chunk]) : chunk;
      d.bodyEos = eos;
      return;
    }
    // Continue: body_size is the current chunk. After a pause the host buffered the earlier
    // chunks, and the filter sees everything accumulated so far.
    d.body = d.buffering && d.body ? Buffer.concat([d.body, chunk]) : chunk;
    d.bodyEos = eos;
    d.bodyVisible = true;
    const fn = d.kind === 'request' ? 'proxy_on_request_body' : 'proxy_on_response_body';
    const r = this.vm.call(fn, this.contextId, this.contextId, d.body.length, eos ? 1 : 0);
    const body = d.body ?? Buffer.alloc(0);
    if (this.checkFailed(d, () => {
      if (d.headersHeld) this.emitHeaders(d, d.headersEos);
      d.buffering = false;
      d.body = null;
      d.bodyVisible = false;
      this.emitData(d, body, eos);
    })) return this.vm.flushAfterCall();
    if (r === FilterDataStatus.Continue && !this.pendingLocalReply && !this.pendingClose) {
      if (d.headersHeld) this.emitHeaders(d, d.headersEos);
      d.buffering = false;
      d.body = null;
      d.bodyVisible = false;
      this.emitData(d, body, eos);
    } else {
      d.buffering = true; // keep it (bodyVisible stays true: readable until continued)
    }
    this.vm.flushAfterCall();
  }

  private onTrailers(d: Direction, trailers: Pairs): void {
    if (this.completed || d.dead) return;
    d.trailers = trailers.map(([k, v]) => [k, v] as [string, string]);
    if (this.passthrough()) return this.emitTrailers(d);
    if (this.mode === 'failed') return;
    const passOn = () => {
      if (d.headersHeld) this.emitHeaders(d, false);
      if (d.buffering) {
        const body = d.body ?? Buffer.alloc(0);
        d.buffering = false;
        d.body = null;
        if (body.length) this.emitData(d, body, false);
      }
      this.emitTrailers(d);
    };
    if (this.checkFailed(d, passOn)) return;
    if (this.contextId === 0) return passOn();
    d.trailersVisible = true;
    const fn = d.kind === 'request' ? 'proxy_on_request_trailers' : 'proxy_on_response_trailers';
    const r = this.vm.call(fn, this.contextId, this.contextId, trailers.length);
    if (this.checkFailed(d, passOn)) return this.vm.flushAfterCall();
    if (r === FilterTrailersStatus.Continue && !this.pendingLocalReply && !this.pendingClose && !d.stopAll && !d.headersHeld && !d.buffering) {
      this.emitTrailers(d);
    } else if (r === FilterTrailersStatus.Continue && !this.pendingLocalReply && !this.pendingClose) {
      passOn();
    } else {
      d.trailersHeld = true;
    }
    this.vm.flushAfterCall();
  }

  private localReply(status: number, body: Buffer, extra: Pairs, details: string): void {
    if (this.completed) return;
    if (this.response.headersEmitted) {
      this.request.dead = this.response.dead = true;
      this.sink.reset?.(details);
      return;
    }
    this.request.dead = true;
    this.localReplySent = true;
    this.sink.localReply?.(status, details);
    const headers: Pairs = [[':status', String(status)]];
    if (body.length) {
      headers.push(['content-length', String(body.length)], ['content-type', 'text/plain']);
    }
    for (const [k, v] of extra) headers.push([k.toLowerCase(), v]);
    // Reset whatever an upstream response may have started.
    const r = this.response;
    r.headersHeld = r.buffering = r.stopAll = r.trailersHeld = false;
    r.body = null;
    this.info.responseCode = status;
    this.info.responseCodeDetails = details;
    this.onHeaders(r, headers, body.length === 0);
    if (body.length) this.onData(r, body, true);
  }

  /** Called by the VM after the outermost call into wasm returned (deferred actions). */
  runDeferred(): void {
    if (this.pendingLocalReply) {
      const p = this.pendingLocalReply;
      this.pendingLocalReply = null;
      this.localReply(p.status, p.body, p.headers, p.details);
    }
    if (this.pendingClose) {
      this.pendingClose = false;
      this.request.dead = this.response.dead = true;
      this.sink.reset?.('wasm_close_stream');
    }
    if (this.pendingContinue.size) {
      const kinds = [...this.pendingContinue];
      this.pendingContinue.clear();
      for (const k of kinds) this.release(k === 'request' ? this.request : this.response);
    }
  }
}
