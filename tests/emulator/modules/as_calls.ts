// AssemblyScript test module (patched @solo-io/proxy-runtime SDK): dispatches an http call from
// the root context on its first tick to the cluster named in the plugin configuration and logs
// what comes back. Compiled by the tests with the pinned asc.
export * from "@solo-io/proxy-runtime/assembly/proxy";
import {
  RootContext, Context, BaseContext, registerRootContext, log, LogLevelValues, HeaderPair, Headers,
} from "@solo-io/proxy-runtime/assembly";
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { get_buffer_bytes, get_header_map_value, get_status } from "@solo-io/proxy-runtime/assembly/runtime";

function pair(k: string, v: string): HeaderPair {
  return new HeaderPair(String.UTF8.encode(k), String.UTF8.encode(v));
}

let cluster = "";
let ticks = 0;

function onResponse(origin: BaseContext, headers: u32, body_size: usize, trailers: u32): void {
  const status = String.UTF8.decode(get_header_map_value(6, String.UTF8.encode(":status")));
  const body = String.UTF8.decode(get_buffer_bytes(4, 0, body_size as u32));
  const st = get_status();
  log(LogLevelValues.info, "response headers=" + headers.toString() + " status=" + status + " body=" + body +
    " code=" + st.status.toString());
}

class CallsRoot extends RootContext {
  onConfigure(size: u32): bool {
    super.onConfigure(size);
    // The configuration is the cluster name, or JSON {"cluster":"<name>"} (what a gateway's
    // PolicyBinding spec.config becomes; tests/conformance runs this module on both hosts).
    cluster = this.getConfiguration();
    const key = "\"cluster\":\"";
    const at = cluster.indexOf(key);
    if (at >= 0) {
      const start = at + key.length;
      cluster = cluster.slice(start, cluster.indexOf("\"", start));
    }
    log(LogLevelValues.info, "configured cluster=" + cluster);
    imports.proxy_set_tick_period_milliseconds(5);
    return true;
  }
  onTick(): void {
    ticks++;
    if (ticks > 1) return;
    imports.proxy_set_tick_period_milliseconds(0);
    const h: Headers = [];
    h.push(pair(":method", "POST"));
    h.push(pair(":path", "/collect"));
    h.push(pair(":authority", "edge"));
    h.push(pair("content-type", "application/json"));
    const r = this.httpCall(cluster, h, String.UTF8.encode("{\"n\":1}"), [], 1000, this, onResponse);
    log(LogLevelValues.info, "dispatch result=" + r.toString());
  }
  createContext(id: u32): Context {
    return new Context(id, this);
  }
}

registerRootContext((id: u32): RootContext => new CallsRoot(id), "main");
