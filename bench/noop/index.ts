// Baseline for benchmarks: a proxy-wasm filter built exactly like the policy (same SDK, same patch,
// same runtime and flags) that does nothing. Its cost is the floor for any AssemblyScript wasm filter.
export * from "../../assembly/exports"; // the policy's entry points: the SDK's, bracketed for the collector
export { malloc, free } from "@solo-io/proxy-runtime/assembly/malloc";
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly";

class NoopRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Context(context_id, this);
  }
}

registerRootContext((context_id: u32): RootContext => new NoopRoot(context_id), "main");
