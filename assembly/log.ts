// Every line the policy writes starts with "[cequence] " so operators can grep for it.
// Debug-mode lines are written at info level: enableDebugLogs, not the gateway's log level, decides
// whether they appear (guide: "Log levels"). Callers test config.debug before building a debug string.
import { log, LogLevelValues } from "@solo-io/proxy-runtime/assembly";
import { msg } from "./literals";

export function logInfo(message: string): void {
  log(LogLevelValues.info, msg("[cequence] ") + message);
}

export function logWarn(message: string): void {
  log(LogLevelValues.warn, msg("[cequence] ") + message);
}

export function logError(message: string): void {
  log(LogLevelValues.error, msg("[cequence] ") + message);
}
