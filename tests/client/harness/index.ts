// Test harness module for the Cequence client: the real policy root (configuration, client, ticks,
// call responses) with a stand-in stream context that turns each request into one small transaction,
// so the client can be driven with transactions of chosen sizes, independently of the capture side.
// Request headers: x-test-txn (test id, [A-Za-z0-9_-]), x-test-pad (bytes of padding). Each transaction
// is in Cequence's wire format (the mock Edge accepts nothing else): the test id travels as the path
// /api/<id>, the padding as the response body.
export * from "../../../assembly/exports"; // the policy's entry points (collector bracketing: assembly/gc.ts)
export { malloc, free } from "../../../assembly/host"; // the policy's malloc: its raw reads need it
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues } from "@solo-io/proxy-runtime/assembly";
import { RawBytes } from "../../../assembly/raw-bytes";
import { PolicyRoot } from "../../../assembly/root";
import { getHeaderValue } from "../../../assembly/host";
import { Utf8, utf8 } from "../../../assembly/literals";
import { base64Encode } from "../../../assembly/capture/base64";
import { txnIds } from "../../../assembly/capture/entropy";

function headerString(name: Utf8): string {
  const v = getHeaderValue(0, name);
  return v == null ? "" : String.UTF8.decode(v);
}

class TxnContext extends Context {
  id: string = "";
  pad: i32 = 0;
  constructor(context_id: u32, public policy: PolicyRoot) {
    super(context_id, policy);
  }
  onRequestHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    this.id = headerString(utf8("x-test-txn"));
    const p = headerString(utf8("x-test-pad"));
    let n = 0;
    for (let i = 0; i < p.length && i < 8; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
    }
    this.pad = n;
    return FilterHeadersStatusValues.Continue;
  }
  onLog(): void {
    if (this.id.length == 0) return;
    const client = this.policy.client;
    if (client == null) return;
    const pad = new Uint8Array(this.pad);
    pad.fill(0x78);
    client.enqueue(RawBytes.copyOf(String.UTF8.encode(
      '{"timestamp":"0.000","version":"1.0","transaction-id":"' + txnIds().next() + '",' +
      '"request":{"http-method":"POST","uri-query-fragment":"/api/' + this.id + '","connection":{"connection-ip":"","server-ip":""},' +
      '"headers":[],"body":{"length":0,"data":""}},' +
      '"response":{"status-code":"200","headers":[],"body":{"length":' + this.pad.toString() + ',"data":"' + base64Encode(pad) + '"}},' +
      '"txn-meta-data":{"source_info":{"version":"test","type":"mulesoft-flex-gateway","pool_id":"","instance_id":""}}}')));
  }
}

class HarnessRoot extends PolicyRoot {
  createContext(context_id: u32): Context {
    if (this.config == null) return new Context(context_id, this);
    return new TxnContext(context_id, this);
  }
}

registerRootContext((context_id: u32): RootContext => new HarnessRoot(context_id), "main");
