// What a VM and its streams need from the host that runs them: logging, the clock, clusters and
// http call dispatch, shared data and queues, metrics, and the facts properties report. The host
// implements it; the VM's parts name only this, so their imports point one way (down to here).
import type { LogLevelName } from './abi.ts';
import type { HttpCallResponse } from './httpcall.ts';
import type { LogContextKind } from './log.ts';
import type { Pairs } from './pairs.ts';

/** The host's facts behind plugin_*, xds.node and xds.listener_direction. */
export interface PropertyEnv {
  pluginName: string;
  rootId: string;
  vmId: string;
  nodeId: string;
  nodeCluster: string;
  listenerDirection: number;
}

export interface HostContext {
  /** VM configuration (buffer 6). */
  readonly vmConfig: Buffer;
  /** What proxy_get_log_level answers; lower levels are not logged. */
  readonly logLevel: LogLevelName;
  readonly propertyEnv: PropertyEnv;
  /** Wall clock, ns since the epoch. */
  nowNs(): bigint;

  /** A line the module logged (proxy_log, WASI stdout/stderr). */
  wasmLog(level: LogLevelName, message: string, worker?: number, context?: LogContextKind): void;
  /** A line the host logs about a VM (a trap, a failed start). */
  hostLog(level: LogLevelName, message: string, worker?: number): void;

  hasCluster(name: string): boolean;
  /** Send the request to the cluster; `onResponse` runs later, never from inside this call (null: reset). */
  startHttpCall(cluster: string, headers: Pairs, body: Buffer, trailers: Pairs, timeoutMs: number,
    onResponse: (response: HttpCallResponse | null) => void): void;

  sharedGet(key: string): { value: Buffer; cas: number } | undefined;
  /** A WasmResult: Ok, or CasMismatch when `cas` is set and stale. */
  sharedSet(key: string, value: Buffer, cas: number): number;
  /** Register (or take over) the queue `name`; `onReady` runs after each enqueue. Returns its token. */
  queueRegister(name: string, onReady: (token: number) => void): number;
  queueResolve(vmId: string, name: string): number | undefined;
  /** A WasmResult. */
  queueEnqueue(token: number, data: Buffer): number;
  /** The oldest item, or a WasmResult (NotFound, Empty). */
  queueDequeue(token: number): Buffer | number;

  /** False when the host refuses the definition. */
  metricDefine(name: string, type: number): boolean;
  metricUpdateRefused(name: string): boolean;
  metricAdd(name: string, v: bigint): void;
  metricSet(name: string, v: bigint): void;
  metricRecord(name: string, v: bigint): void;
  metricGet(name: string): bigint;
}
