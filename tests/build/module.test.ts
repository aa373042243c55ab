// The release module must load in Envoy: ABI marker, start function, allocator, callbacks, and no
// import outside what Envoy provides (env.proxy_* and WASI).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const wasm = readFileSync(new URL("../../policies-k8s/cequence_policy.wasm", import.meta.url));
const module = new WebAssembly.Module(wasm);

test("exports the proxy-wasm 0.2.1 ABI, _initialize, malloc and the callbacks", () => {
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of [
    "proxy_abi_version_0_2_1", "_initialize", "malloc", "memory",
    "proxy_on_vm_start", "proxy_on_configure", "proxy_on_context_create", "proxy_on_tick",
    "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
    "proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers",
    "proxy_on_http_call_response", "proxy_on_log", "proxy_on_done", "proxy_on_delete",
  ]) assert.ok(exports.has(name), `missing export ${name}`);
  assert.ok(!exports.has("_start"), "a _start export would make Envoy treat the module as a command");
});

test("imports nothing outside env.proxy_* and wasi_snapshot_preview1", () => {
  const bad = WebAssembly.Module.imports(module)
    .filter((i) => !(i.module === "env" && i.name.startsWith("proxy_")) && i.module !== "wasi_snapshot_preview1")
    .map((i) => `${i.module}.${i.name}`);
  assert.deepEqual(bad, [], `imports Envoy does not provide: ${bad.join(", ")}`);
  const names = WebAssembly.Module.imports(module).map((i) => i.name);
  for (const forbidden of ["abort", "trace", "seed"]) assert.ok(!names.includes(forbidden));
});

test("has no wasm start section (Envoy calls _initialize itself)", () => {
  // Walk the sections: id 8 is the start section.
  let p = 8;
  const u = () => { let r = 0, s = 0, b; do { b = wasm[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r; };
  while (p < wasm.length) {
    const id = wasm[p++];
    const size = u();
    assert.notEqual(id, 8, "module has a start section");
    p += size;
  }
});
