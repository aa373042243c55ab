// AssemblyScript test module built WITHOUT `--use abort=...` and using Math.random: it imports
// env.abort and env.seed, which Envoy does not provide. The host must refuse it, naming them.
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly";

class R extends RootContext {
  createContext(id: u32): Context {
    if (Math.random() > 2.0) assert(false, "never");
    if (id == 123456789) throw new Error("boom " + id.toString());
    return new Context(id, this);
  }
}
registerRootContext((id: u32): RootContext => new R(id), "main");
