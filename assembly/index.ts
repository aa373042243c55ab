// The policy module's entry: proxy-wasm ABI exports from the SDK, and the root context for root id "main".
export * from "./exports"; // the SDK's entry points, bracketed for the collector (gc.ts)
export { malloc, free } from "./host"; // the SDK's malloc, plus raw reads (host.ts)
import { RootContext, registerRootContext } from "@solo-io/proxy-runtime/assembly";
import { PolicyRoot } from "./root";

registerRootContext((context_id: u32): RootContext => new PolicyRoot(context_id), "main");
