// proxy-wasm ABI v0.2.1 constants, as defined by proxy-wasm/spec (abi-versions/v0.2.1)
// and implemented by proxy-wasm-cpp-host / Envoy.

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 } as const;
export type LogLevelName = keyof typeof LogLevel;
export const LOG_LEVEL_NAMES: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

export const HeaderMapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const HEADER_MAP_TYPE_MAX = 7;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  NetworkDownstreamData: 2,
  NetworkUpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;
export const BUFFER_TYPE_MAX = 8;

export const FilterHeadersStatus = {
  Continue: 0,
  StopIteration: 1,
  ContinueAndEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;

export const FilterDataStatus = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;

export const FilterTrailersStatus = { Continue: 0, StopIteration: 1 } as const;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3 } as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;

/**
 * Host functions Envoy (proxy-wasm-cpp-host FOR_ALL_HOST_FUNCTIONS plus the ABI 0.2.1
 * specific ones) registers under module `env` with the `proxy_` prefix.
 */
export const ENVOY_PROXY_IMPORTS: ReadonlySet<string> = new Set(
  [
    'log', 'get_status', 'set_property', 'get_property', 'send_local_response',
    'get_shared_data', 'set_shared_data', 'register_shared_queue', 'resolve_shared_queue',
    'dequeue_shared_queue', 'enqueue_shared_queue', 'get_header_map_value',
    'add_header_map_value', 'replace_header_map_value', 'remove_header_map_value',
    'get_header_map_pairs', 'set_header_map_pairs', 'get_header_map_size',
    'get_buffer_status', 'get_buffer_bytes', 'set_buffer_bytes', 'http_call', 'grpc_call',
    'grpc_stream', 'grpc_close', 'grpc_cancel', 'grpc_send', 'set_tick_period_milliseconds',
    'get_current_time_nanoseconds', 'define_metric', 'increment_metric', 'record_metric',
    'get_metric', 'set_effective_context', 'done', 'call_foreign_function',
    // ABI 0.2.x specific
    'continue_stream', 'close_stream', 'get_log_level',
  ].map((n) => 'proxy_' + n),
);

/** WASI functions proxy-wasm-cpp-host registers (FOR_ALL_WASI_FUNCTIONS). */
export const ENVOY_WASI_IMPORTS: ReadonlySet<string> = new Set([
  'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'environ_get',
  'environ_sizes_get', 'args_get', 'args_sizes_get', 'clock_time_get', 'random_get',
  'proc_exit', 'path_open', 'fd_prestat_get', 'fd_prestat_dir_name',
]);

export const WASI_MODULE = 'wasi_snapshot_preview1';

export const WasiErrno = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOSYS: 52,
  NOTSUP: 58,
} as const;
