// PLACEHOLDER until issue 5 lands: accepts transactions and counts them, sends nothing.
import { RootContext } from "@solo-io/proxy-runtime/assembly";
import { Config } from "../config/config";

export class CequenceClient {
  captured: u64 = 0;
  constructor(public root: RootContext, public config: Config) {}
  /** Takes one serialised transaction (UTF-8 JSON object). */
  enqueue(transaction: ArrayBuffer): void { this.captured++; }
  reconfigure(config: Config): void { this.config = config; }
  stopCapture(): void {}
  tickPeriodMs(): u32 { return 1000; }
  onTick(): void {}
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32): void {}
}
