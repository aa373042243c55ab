// A module that traps: its HTTP context executes `unreachable` in on_request_headers. Envoy's
// answer to a trapping VM (fail closed) is what tests/envoy/faults.test.ts shows; the real policy must
// never do this. Built in the test by node_modules/assemblyscript/bin/asc.js (release flags).
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext, log, LogLevelValues, FilterHeadersStatusValues } from "@solo-io/proxy-runtime/assembly";

class Trapping extends Context {
  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    log(LogLevelValues.info, "[trap] about to trap in on_request_headers");
    unreachable();
    return FilterHeadersStatusValues.Continue;
  }
}

class TrapRoot extends RootContext {
  createContext(id: u32): Context {
    return new Trapping(id, this);
  }
}

registerRootContext((id: u32): RootContext => new TrapRoot(id), "main");
