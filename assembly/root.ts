// Root context (one per gateway worker VM): reads the configuration, owns the Cequence client, and
// hands each HTTP stream a capturing context (with itself as the stream's transaction sink), or a
// pass-through one when the configuration is bad.
import { RootContext, Context } from "@solo-io/proxy-runtime/assembly";
import { BufferTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { parseConfig, Config } from "./config/config";
import { getBufferBytes, setTickPeriodMillis } from "./host";
import { logInfo, logWarn, logError } from "./log";
import { CaptureContext } from "./capture/http-context";
import { CaptureControls } from "./capture/controls";
import { TransactionSink } from "./capture/sink";
import { setCaptureBudget } from "./capture/budget";
import { CequenceClient } from "./client/client";
import { RawBytes } from "./raw-bytes";
import { msg } from "./literals";

export class PolicyRoot extends RootContext implements TransactionSink {
  /** null while the configuration is missing or invalid: streams then pass untouched, nothing is captured. */
  config: Config | null = null;
  client: CequenceClient | null = null;
  /** The configuration's capture controls, built once per configuration (never per stream). */
  controls: CaptureControls = new CaptureControls();

  createContext(context_id: u32): Context {
    const config = this.config;
    if (config == null) return new Context(context_id, this);
    return new CaptureContext(context_id, this, config, this.controls, this);
  }

  onConfigure(configuration_size: u32): bool {
    let bytes: ArrayBuffer | null = null;
    if (configuration_size > 0) bytes = getBufferBytes(BufferTypeValues.PluginConfiguration, 0, configuration_size);
    if (bytes == null) bytes = new ArrayBuffer(0);
    const result = parseConfig(Uint8Array.wrap(bytes));
    for (let i = 0; i < result.warnings.length; i++) logWarn(msg("Configuration warning: ") + result.warnings[i]);
    const config = result.config;
    if (config == null) {
      // Returning true keeps the gateway serving: the policy stays loaded but captures nothing.
      logError(msg("Invalid configuration, capture disabled: ") + result.error);
      this.config = null;
      const client = this.client;
      if (client != null) client.stopCapture();
      return true;
    }
    this.config = config;
    this.controls = CaptureControls.from(config);
    // Bodies being captured by streams in progress share a budget as large as the queue's byte bound.
    setCaptureBudget(<i64>config.queueMaxBytes);
    let client = this.client;
    if (client == null) {
      client = new CequenceClient(this, config);
      this.client = client;
    } else {
      client.reconfigure(config);
    }
    logInfo(msg("Policy configured (debug_logs=") + (config.debug ? msg("true") : msg("false")) + ")");
    if (!setTickPeriodMillis(client.tickPeriodMs())) logError(msg("Could not start the delivery timer; transactions will not be sent"));
    logInfo(msg("Root context initialized"));
    if (config.debug) logInfo(msg("Configuration: ") + config.describe());
    return true;
  }

  onTick(): void {
    const client = this.client;
    if (client != null) client.onTick();
  }

  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    const client = this.client;
    if (client != null) client.onHttpCallResponse(token, headers, body_size);
  }

  onDone(): bool {
    // The gateway is tearing this root context down (shutdown or a configuration change): what is
    // still queued or in flight cannot be delivered any more, so it is counted and said once.
    const client = this.client;
    if (client != null) client.shutdown();
    return true;
  }

  // TransactionSink: what the streams capture goes to the client (none while the configuration is bad).
  enqueue(transaction: RawBytes): void {
    const client = this.client;
    if (client != null) client.enqueue(transaction);
    else transaction.free();
  }

  reserve(size: i64): RawBytes | null {
    const client = this.client;
    return client != null ? client.reserve(size) : null;
  }

  dropUnfit(): void {
    const client = this.client;
    if (client != null) client.dropUnfit();
  }
}
