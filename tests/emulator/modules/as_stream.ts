// AssemblyScript test module: reads every request and response body chunk through
// proxy_get_buffer_bytes (as a capture policy does), counts bytes, never pauses.
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext, log, LogLevelValues, FilterDataStatusValues, FilterHeadersStatusValues } from "@solo-io/proxy-runtime/assembly";
import { get_buffer_bytes, stream_context } from "@solo-io/proxy-runtime/assembly/runtime";

class Counting extends Context {
  reqBytes: u64 = 0;
  respBytes: u64 = 0;
  chunks: u32 = 0;
  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    const path = stream_context.headers.request.get(":path");
    log(LogLevelValues.info, "request " + path + " headers=" + n.toString());
    return FilterHeadersStatusValues.Continue;
  }
  // Never call get_buffer_bytes with size 0: Envoy then returns Ok without writing the
  // pointer/size, and the SDK's shared ArrayBufferReference would reuse a stale size.
  onRequestBody(size: usize, eos: bool): FilterDataStatusValues {
    if (size == 0) return FilterDataStatusValues.Continue;
    const b = get_buffer_bytes(0, 0, size as u32);
    this.reqBytes += b.byteLength;
    return FilterDataStatusValues.Continue;
  }
  onResponseHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    const status = stream_context.headers.response.get(":status");
    log(LogLevelValues.info, "response status=" + status);
    return FilterHeadersStatusValues.Continue;
  }
  onResponseBody(size: usize, eos: bool): FilterDataStatusValues {
    if (size > 0) {
      const b = get_buffer_bytes(1, 0, size as u32);
      this.respBytes += b.byteLength;
      this.chunks++;
    }
    if (eos) log(LogLevelValues.info, "response body total=" + this.respBytes.toString() + " chunks=" + this.chunks.toString());
    return FilterDataStatusValues.Continue;
  }
  onLog(): void {
    log(LogLevelValues.info, "log request_bytes=" + this.reqBytes.toString() + " response_bytes=" + this.respBytes.toString());
  }
}

class StreamRoot extends RootContext {
  createContext(id: u32): Context {
    return new Counting(id, this);
  }
}

registerRootContext((id: u32): RootContext => new StreamRoot(id), "main");
