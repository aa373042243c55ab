// AssemblyScript test module (patched @solo-io/proxy-runtime SDK): logs the properties named in
// its configuration ({"props":"request/path,node,..."}, '/' separating path parts) with their raw
// result code and value bytes (hex), in on_configure (root context) and in a stream's request
// headers, response headers and on_log. Compiled by the tests with the pinned asc.
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext, log, LogLevelValues, FilterHeadersStatusValues } from "@solo-io/proxy-runtime/assembly";
import * as imports from "@solo-io/proxy-runtime/assembly/imports";

let paths: string[] = [];

function hex(p: usize, n: u32): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u8>(p + i);
    s += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return s;
}

function logProps(phase: string): void {
  const out = new ArrayBuffer(8);
  const o = changetype<usize>(out);
  for (let i = 0; i < paths.length; i++) {
    const path = String.UTF8.encode(paths[i].replaceAll("/", "\0"));
    store<u32>(o, 0);
    store<u32>(o + 4, 0);
    const r = imports.proxy_get_property(changetype<usize>(path), path.byteLength, o, o + 4);
    let line = "prop " + phase + " " + paths[i] + " result=" + r.toString();
    if (r == 0) line += " hex=" + hex(load<u32>(o), load<u32>(o + 4));
    log(LogLevelValues.info, line);
  }
}

class PropsContext extends Context {
  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    logProps("request_headers");
    return FilterHeadersStatusValues.Continue;
  }
  onResponseHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    logProps("response_headers");
    return FilterHeadersStatusValues.Continue;
  }
  onLog(): void {
    logProps("log");
  }
}

class PropsRoot extends RootContext {
  onConfigure(size: u32): bool {
    super.onConfigure(size);
    const cfg = this.getConfiguration();
    const key = "\"props\":\"";
    const at = cfg.indexOf(key);
    if (at >= 0) {
      const start = at + key.length;
      paths = cfg.slice(start, cfg.indexOf("\"", start)).split(",");
    }
    log(LogLevelValues.info, "configured " + paths.length.toString() + " properties");
    logProps("configure");
    return true;
  }
  createContext(id: u32): Context {
    return new PropsContext(id, this);
  }
}

registerRootContext((id: u32): RootContext => new PropsRoot(id), "main");
