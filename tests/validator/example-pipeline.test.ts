// The example GitHub Actions pipeline: parses, lints and validates before deploying, takes every secret
// from GitHub secrets, applies the kit files that exist, and waits for the rollout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const root = new URL("../../", import.meta.url).pathname;
const text = readFileSync(join(root, "examples/github-actions/deploy-cequence-policy.yaml"), "utf8");
const wf = parse(text);
const runs = (job: string) => wf.jobs[job].steps.map((s: any) => s.run ?? "").join("\n");

test("example pipeline: lint and strict validation before any deployment, with the validator shipped in the bundle", () => {
  assert.match(runs("validate"), /yamllint /);
  assert.match(runs("validate"), /node "\$BUNDLE_DIR\/cequence-validate\.mjs" --strict --secret-rendered-at-deploy "\$BUNDLE_DIR"/);
  assert.doesNotMatch(text, /\bnpx\b|npm (ci|install)/, "nothing to install: the validator is one file in the bundle folder");
  assert.deepEqual(wf.jobs.deploy.needs, "validate");
  const deploy = runs("deploy");
  const order = ["strenv(CEQUENCE_CLIENT_SECRET)", 'node "$RENDERED_DIR/cequence-validate.mjs" --strict', "cequence-wasm-configmap.yaml", "helm-values-cequence-wasm.yaml",
    "kubectl-patch-cequence-wasm.json", "rollout status", '-f "$RENDERED_DIR/cequence_binding.yaml"', 'rm -rf "$RUNNER_TEMP/cequence"'];
  const at = order.map((s) => deploy.indexOf(s));
  assert.ok(at.every((i) => i >= 0), JSON.stringify(at));
  assert.deepEqual([...at].sort((a, b) => a - b), at, "render, validate the rendered copy, ConfigMap, mount, rollout, the policy resources, delete the copy");
  for (const f of ["cequence-wasm-configmap.yaml", "helm-values-cequence-wasm.yaml", "kubectl-patch-cequence-wasm.json", "cequence-validate.mjs"]) {
    assert.ok(existsSync(join(root, "policies-k8s", f)), `${f} exists in the built kit`);
  }
});

test("example pipeline: secrets only from GitHub secrets, rendered into a private copy at deploy time and deleted", () => {
  const refs = [...text.matchAll(/\$\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1]);
  assert.deepEqual(refs.sort(), ["secrets.CEQUENCE_CLIENT_SECRET", "secrets.KUBECONFIG_B64"]);
  assert.doesNotMatch(text, /cequenceClientSecret:\s*[^\s]/, "no secret (or substitution) written in the workflow");
  assert.doesNotMatch(text, /\$\{env\./, "no ${env.…} substitution, which Flex Gateway does not document");
  assert.match(text, /add-mask/);
  const render = wf.jobs.deploy.steps.find((s: any) => (s.run ?? "").includes("strenv(CEQUENCE_CLIENT_SECRET)"));
  assert.match(render.run, /umask 077/);
  assert.match(render.run, /chmod 600 "\$out\/cequence_binding\.yaml"/);
  assert.match(render.run, /\$RUNNER_TEMP/);
  const cleanup = wf.jobs.deploy.steps.find((s: any) => (s.run ?? "").includes('rm -rf "$RUNNER_TEMP/cequence"'));
  assert.equal(cleanup.if, "always()", "the rendered copy is deleted even when a step fails");
});
