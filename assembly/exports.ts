// The proxy-wasm entry points the host calls: the SDK's, each bracketed by gc.ts enter()/leave() so that
// garbage is collected only when the module's stack is unwound (the minimal runtime needs that). The
// gRPC and foreign-function callbacks, which the policy never uses, are the SDK's as they are.
import * as sdk from "@solo-io/proxy-runtime/assembly/exports";
import { enter, leave } from "./gc";

export { proxy_abi_version_0_2_1, proxy_on_foreign_function, proxy_on_grpc_receive_initial_metadata, proxy_on_grpc_trailing_metadata, proxy_on_grpc_receive, proxy_on_grpc_close } from "@solo-io/proxy-runtime/assembly/exports";

export function proxy_on_vm_start(root_context_id: u32, configuration_size: u32): u32 {
  enter();
  const r = sdk.proxy_on_vm_start(root_context_id, configuration_size);
  leave();
  return r;
}
export function proxy_validate_configuration(root_context_id: u32, configuration_size: u32): u32 {
  enter();
  const r = sdk.proxy_validate_configuration(root_context_id, configuration_size);
  leave();
  return r;
}
export function proxy_on_configure(root_context_id: u32, configuration_size: u32): u32 {
  enter();
  const r = sdk.proxy_on_configure(root_context_id, configuration_size);
  leave();
  return r;
}
export function proxy_on_tick(root_context_id: u32): void {
  enter();
  sdk.proxy_on_tick(root_context_id);
  leave();
}
export function proxy_on_queue_ready(root_context_id: u32, token: u32): void {
  enter();
  sdk.proxy_on_queue_ready(root_context_id, token);
  leave();
}
export function proxy_on_context_create(context_id: u32, root_context_id: u32): void {
  enter();
  sdk.proxy_on_context_create(context_id, root_context_id);
  leave();
}
export function proxy_on_request_headers(context_id: u32, headers: u32, end_of_stream: u32): i32 {
  enter();
  const r = sdk.proxy_on_request_headers(context_id, headers, end_of_stream);
  leave();
  return r;
}
export function proxy_on_request_body(context_id: u32, body_buffer_length: u32, end_of_stream: u32): i32 {
  enter();
  const r = sdk.proxy_on_request_body(context_id, body_buffer_length, end_of_stream);
  leave();
  return r;
}
export function proxy_on_request_trailers(context_id: u32, trailers: u32): i32 {
  enter();
  const r = sdk.proxy_on_request_trailers(context_id, trailers);
  leave();
  return r;
}
export function proxy_on_request_metadata(context_id: u32, nelements: u32): i32 {
  enter();
  const r = sdk.proxy_on_request_metadata(context_id, nelements);
  leave();
  return r;
}
export function proxy_on_response_headers(context_id: u32, headers: u32, end_of_stream: u32): i32 {
  enter();
  const r = sdk.proxy_on_response_headers(context_id, headers, end_of_stream);
  leave();
  return r;
}
export function proxy_on_response_body(context_id: u32, body_buffer_length: u32, end_of_stream: u32): i32 {
  enter();
  const r = sdk.proxy_on_response_body(context_id, body_buffer_length, end_of_stream);
  leave();
  return r;
}
export function proxy_on_response_trailers(context_id: u32, trailers: u32): i32 {
  enter();
  const r = sdk.proxy_on_response_trailers(context_id, trailers);
  leave();
  return r;
}
export function proxy_on_response_metadata(context_id: u32, nelements: u32): i32 {
  enter();
  const r = sdk.proxy_on_response_metadata(context_id, nelements);
  leave();
  return r;
}
export function proxy_on_http_call_response(context_id: u32, token: u32, headers: u32, body_size: u32, trailers: u32): void {
  enter();
  sdk.proxy_on_http_call_response(context_id, token, headers, body_size, trailers);
  leave();
}
export function proxy_on_done(context_id: u32): u32 {
  enter();
  const r = sdk.proxy_on_done(context_id);
  leave();
  return r;
}
export function proxy_on_log(context_id: u32): void {
  enter();
  sdk.proxy_on_log(context_id);
  leave();
}
export function proxy_on_delete(context_id: u32): void {
  enter();
  sdk.proxy_on_delete(context_id);
  leave();
}
