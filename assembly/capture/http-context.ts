// PLACEHOLDER until issue 4 lands: a stream context that captures nothing and passes everything.
import { Context, RootContext } from "@solo-io/proxy-runtime/assembly";
import { Config } from "../config/config";

export class CaptureContext extends Context {
  constructor(context_id: u32, root: RootContext, public config: Config) {
    super(context_id, root);
  }
}
