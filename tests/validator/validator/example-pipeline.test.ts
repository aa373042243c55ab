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

test("example pipeline: lint and strict validation before any deployment", () => {
  assert.match(runs("validate"), /yamllint /);
  assert.match(runs("validate"), /cequence-validate --strict/);
  assert.deepEqual(wf.jobs.deploy.needs, "validate");
  const deploy = runs("deploy");
  const order = ["cequence-validate --strict", "cequence-wasm-configmap.yaml", "helm-values-cequence-wasm.yaml", "kubectl-patch-cequence-wasm.json", "rollout status", "cequence_binding.yaml"];
  const at = order.map((s) => deploy.indexOf(s));
  assert.ok(at.every((i) => i >= 0), JSON.stringify(at));
  assert.deepEqual([...at].sort((a, b) => a - b), at, "validate, ConfigMap, mount, rollout, then the policy resources");
  for (const f of ["cequence-wasm-configmap.yaml", "helm-values-cequence-wasm.yaml", "kubectl-patch-cequence-wasm.json"]) {
    assert.ok(existsSync(join(root, "policies-k8s", f)), `${f} exists in the built kit`);
  }
});

test("example pipeline: secrets only from GitHub secrets", () => {
  const refs = [...text.matchAll(/\$\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1]);
  assert.deepEqual(refs.sort(), ["secrets.CEQUENCE_CLIENT_SECRET", "secrets.KUBECONFIG_B64"]);
  assert.doesNotMatch(text, /cequenceClientSecret:\s*[^$\s]/, "no literal secret");
  assert.match(text, /add-mask/);
});
