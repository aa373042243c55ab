// `npm run -s envoy -- <args>`: runs the project's Envoy (ENVOY_BIN, else .envoy/py) with the given
// arguments, passing stdio, signals and the exit code through.
import { spawn } from "node:child_process";
import { envoyBin, envoyMissingReason } from "./envoy-bin.mjs";

const missing = envoyMissingReason();
if (missing) {
  process.stderr.write(`envoy: ${missing}\n`);
  process.exit(127);
}
const child = spawn(envoyBin().path, process.argv.slice(2), { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("error", (e) => {
  process.stderr.write(`envoy: ${e.message}\n`);
  process.exit(127);
});
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
