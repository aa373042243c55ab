// Public API of the proxy-wasm host: creating a host, streams, the VM, the ABI constants, pairs, log entries.
export * from './abi.ts';
export { createHost, compileModule, ProxyWasmHost } from './host.ts';
export type { HostOptions, StreamOptions, SyntheticStream, SyntheticResult } from './host.ts';
export { ENVOY_HISTOGRAM_BUCKETS } from './metrics.ts';
export type { MetricEntry, MetricTypeName } from './metrics.ts';
export { HostStream } from './stream.ts';
export type { StreamSink, ConnectionInfo, StreamInfo } from './stream.ts';
export { WasmVm } from './vm.ts';
export { disallowedImports } from './imports.ts';
export { ProcExit } from './imports-wasi.ts';
export { encodePairs, decodePairs, normalizePairs, toByteString, fromByteString } from './pairs.ts';
export type { Pair, Pairs } from './pairs.ts';
export type { LogEntry, LogSink } from './log.ts';
export { formatEnvoyLine } from './log.ts';
