// What a host function needs from the VM that called it (WasmVm implements it), so the import
// tables depend on this and not on the VM's lifecycle.
import type { HostContext } from './context.ts';
import type { GuestMemory } from './guest-memory.ts';
import type { HttpCallResponse } from './httpcall.ts';
import type { HostStream } from './stream.ts';

/** A root context, or a stream's. `status` is what proxy_get_status answers. */
export interface ContextRecord {
  id: number;
  isRoot: boolean;
  stream?: HostStream;
  status: { code: number; message: string };
}

export interface CallerVm {
  readonly host: HostContext;
  readonly memory: GuestMemory;
  /** Plugin configuration, visible as buffer 7 only during proxy_on_configure. */
  readonly configuring: Buffer | null;
  /** http_call response, visible as header map 6/7 and buffer 4 only during its callback. */
  readonly httpCallResponse: HttpCallResponse | null;
  /** Set when proxy_on_done on the root answered "not yet": one proxy_done then answers Ok. */
  rootDonePending: boolean;
  /** The context the call runs in: the effective one if set, else the one called; none in _initialize. */
  context(): ContextRecord | undefined;
  /** proxy_set_effective_context; false when there is no such context. */
  setEffectiveContext(id: number): boolean;
  /** Run the stream's pending actions (continue, local reply, close) once the outermost call returns. */
  defer(stream: HostStream): void;
  setTickPeriod(ms: number): void;
  /** A line from the module, with the prefix of the context it runs in. */
  log(level: number, message: string): void;
  deliverHttpCallResponse(callId: number, response: HttpCallResponse | null): void;
  deliverQueueReady(token: number): void;
}
