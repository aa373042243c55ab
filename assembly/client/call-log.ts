// The log lines both flows write about their calls: an answer's status in words, and a call the gateway
// refused (serviceNamespace mismatch, or another refusal), at most one line per cause per Stats interval.
import { WasmResultValues } from "@solo-io/proxy-runtime/assembly";
import { Config } from "../config/config";
import { logError } from "../log";
import { LogLimiter } from "./ratelimit";
import { msg } from "../literals";

export function describeStatus(status: u32): string {
  if (status == 0) return msg("status=0, connection reset or no response");
  if (status == 503) return msg("status=503, unavailable or connect failure");
  if (status == 504) return msg("status=504, timeout");
  return msg("status=") + status.toString();
}

/** Shared by both flows: each keeps its own limiter for its cluster's mismatch; other refusals share one. */
export class RefusedCallLog {
  private dispatchError: LogLimiter = new LogLimiter();

  /** A new configuration: its first refusal other than a mismatch is said at once. */
  reset(): void {
    this.dispatchError.reset();
  }

  /**
   * Reports that proxy_http_call to `cluster` (the `service` Service) returned `result`; `mismatch`
   * limits the lines about that cluster being unknown to the gateway (a serviceNamespace mismatch).
   */
  report(config: Config, result: i32, cluster: string, service: string, mismatch: LogLimiter, now: i64): void {
    const interval = <i64>config.statsIntervalMs;
    if (result == WasmResultValues.BadArgument) {
      if (!mismatch.allow(now, interval)) return;
      const more = mismatch.takeSuppressed();
      logError(msg("serviceNamespace mismatch: the gateway has no cluster ") + cluster + msg(" (the ") + service +
        msg(" Service in namespace \"") + config.serviceNamespace + msg("\"); serviceNamespace must equal the Services' metadata.namespace. ") +
        msg("Transactions stay queued (bounded; the oldest are dropped when full)") +
        (more > 0 ? " [" + more.toString() + msg(" similar refusals since the last line]") : ""));
      return;
    }
    if (!this.dispatchError.allow(now, interval)) return;
    const more = this.dispatchError.takeSuppressed();
    logError(msg("Root: the gateway refused a call to ") + cluster + msg(" (proxy_http_call result=") + result.toString() + ")" +
      (more > 0 ? " [" + more.toString() + msg(" similar refusals since the last line]") : ""));
  }
}
