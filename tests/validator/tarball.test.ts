// The validator as operators have it: `node cequence-validate.mjs` from an extracted copy of
// cequence-local-mode-flexgateway.tar.gz in a temporary folder, no node_modules anywhere above it and
// no checkout. It reads its schema from the definition beside it. The checks: clean on an
// edited bundle; the namespace mistake, a trailing slash and a misspelt field each reported once at the
// right line with the right fix; an unrendered ${…} secret is an error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const TARBALL = join(root, "cequence-local-mode-flexgateway.tar.gz");
let dir = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "cq-tarball-"));
  execFileSync("tar", ["-xzf", TARBALL, "-C", dir]);
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** `node cequence-validate.mjs args…` in folder `cwd` of the extracted tarball, with a clean environment. */
function run(folder: string, args: string[], cwd = join(dir, folder)) {
  const r = spawnSync(process.execPath, [join(dir, folder, "cequence-validate.mjs"), ...args], {
    cwd, encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lineOf = (text: string, part: string) => text.split("\n").findIndex((l) => l.includes(part)) + 1;

/** The binding as an operator edits it: real addresses, API instance, client ID and token path. */
function edit(text: string, ns = "default"): string {
  return text
    .replaceAll("https://auth.your-cequence-tenant.example.com", "https://auth.acme.cequence.ai")
    .replaceAll("https://edge.your-cequence-tenant.example.com", "https://edge.acme.cequence.ai")
    .replace("name: your-api-instance", "name: orders-api")
    .replace("REPLACE_WITH_CEQUENCE_CLIENT_ID", "acme-gateway-prod")
    .replace("/auth/realms/your-realm/protocol/openid-connect/token", "/auth/realms/acme/protocol/openid-connect/token")
    .replaceAll(`namespace: default`, `namespace: ${ns}`).replace(`serviceNamespace: default`, `serviceNamespace: ${ns}`);
}

test("the tarball is extracted where no node_modules is above it, and holds the validator in both folders", () => {
  for (let d = dir; ; d = dirname(d)) {
    assert.ok(!existsSync(join(d, "node_modules")), `${d}/node_modules exists: the test would not show that the validator needs nothing installed`);
    if (dirname(d) === d) break;
  }
  for (const folder of ["policies-docker-linux", "policies-k8s"]) {
    const v = readFileSync(join(dir, folder, "cequence-validate.mjs"));
    assert.ok(v.equals(readFileSync(join(dir, "policies-k8s", "cequence-validate.mjs"))), "the same file in both folders");
    assert.doesNotMatch(v.toString(), /\/work\/|\/home\/|\/root\//, "no absolute build path in the bundle");
    assert.doesNotMatch(v.toString(), /from\s*"(yaml|ajv|ajv-formats|tsx)"/, "no import of a package");
  }
  const h = run("policies-k8s", ["--help"]);
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /^usage: cequence-validate/);
});

for (const folder of ["policies-docker-linux", "policies-k8s"]) {
  test(`${folder}: pristine bundle passes with --allow-placeholders --strict; without, the placeholders are errors`, () => {
    const ok = run(folder, ["--strict", "--allow-placeholders", "."]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: 0 error\(s\), 0 warning\(s\)/m);
    const bad = run(folder, ["."]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /error \[placeholder\]/);
    assert.equal(bad.stderr, "");
  });
}

test("an edited bundle is clean: the copy in Git (--secret-rendered-at-deploy), then the rendered copy (mode 600)", () => {
  const k8s = join(dir, "policies-k8s");
  const binding = join(k8s, "cequence_binding.yaml");
  const pristine = readFileSync(binding, "utf8");
  try {
    writeFileSync(binding, edit(pristine));
    const git = run("policies-k8s", ["--strict", "--secret-rendered-at-deploy", "--api-instance", "orders-api", "."]);
    assert.equal(git.status, 0, git.stdout + git.stderr);
    assert.match(git.stdout, /^OK: 0 error\(s\), 0 warning\(s\)/m);
    // Without the option the placeholder secret is an error.
    assert.equal(run("policies-k8s", ["--strict", "--api-instance", "orders-api", "."]).status, 1);
    // The rendered copy, as the example pipeline writes it.
    writeFileSync(binding, edit(pristine).replace("REPLACE_WITH_CEQUENCE_CLIENT_SECRET", "s3cr3t-Value-From-Portal"));
    chmodSync(binding, 0o600);
    const rendered = run("policies-k8s", ["--strict", "--api-instance", "orders-api", "."]);
    assert.equal(rendered.status, 0, rendered.stdout);
    assert.doesNotMatch(rendered.stdout, /s3cr3t-Value-From-Portal/);
    chmodSync(binding, 0o644);
    const shared = run("policies-k8s", ["--strict", "--api-instance", "orders-api", "."]);
    assert.equal(shared.status, 1, "a literal secret in a world-readable file is a warning, fatal with --strict");
    assert.match(shared.stdout, /warning \[literal-secret\]/);
  } finally { writeFileSync(binding, pristine); chmodSync(binding, 0o644); }
});

test("the three mistakes, each once at the right line with the right fix; an unrendered ${…} secret is an error", () => {
  const k8s = join(dir, "policies-k8s");
  const binding = join(k8s, "cequence_binding.yaml");
  const pristine = readFileSync(binding, "utf8");
  try {
    // Resources moved to payments by update-namespace.sh, then serviceNamespace put back by hand.
    writeFileSync(binding, edit(pristine));
    assert.equal(spawnSync("bash", ["./update-namespace.sh", "payments"], { cwd: k8s }).status, 0);
    let text = readFileSync(binding, "utf8").replace("serviceNamespace: payments", "serviceNamespace: default");
    // A trailing slash on cequenceEdgeUrl, a misspelt field, and a ${…} secret.
    text = text.replace("cequenceEdgeUrl: https://edge.acme.cequence.ai", "cequenceEdgeUrl: https://edge.acme.cequence.ai/")
      .replace("cequenceMaxStatusCode:", "cequenceMaxStatusCod:")
      .replace("cequenceClientSecret: REPLACE_WITH_CEQUENCE_CLIENT_SECRET", "cequenceClientSecret: ${CEQUENCE_CLIENT_SECRET}");
    writeFileSync(binding, text);
    const r = run("policies-k8s", ["--json", "--api-instance", "payments/orders-api", "."]);
    assert.equal(r.status, 1, r.stderr);
    const findings = JSON.parse(r.stdout).findings.filter((f: any) => f.severity !== "info");
    const by = (code: string) => findings.filter((f: any) => f.code === code);
    assert.deepEqual(findings.map((f: any) => f.code).sort(), ["namespace-mismatch", "unknown-field", "unrendered-placeholder", "url-mismatch"], JSON.stringify(findings, null, 1));
    const [ns] = by("namespace-mismatch");
    assert.equal(ns.file, "cequence_binding.yaml");
    assert.equal(ns.line, lineOf(text, "serviceNamespace:"));
    assert.match(ns.message, /serviceNamespace is "default" but the policy resources are in namespace "payments"/);
    assert.match(ns.fix, /^set serviceNamespace: payments/);
    const [url] = by("url-mismatch");
    assert.equal(url.line, lineOf(text, "cequenceEdgeUrl:"));
    assert.match(url.message, /differ only by a trailing slash/);
    assert.match(url.fix, /exactly equal/);
    const [field] = by("unknown-field");
    assert.equal(field.line, lineOf(text, "cequenceMaxStatusCod:"));
    assert.match(field.fix, /did you mean "cequenceMaxStatusCode"\?/);
    const [secret] = by("unrendered-placeholder");
    assert.equal(secret.severity, "error");
    assert.equal(secret.line, lineOf(text, "cequenceClientSecret:"));
    assert.match(secret.message, /Flex Gateway does not substitute variables/);
    assert.doesNotMatch(r.stdout, /\$\{env\./);
    // Only the binding, from another folder: the schema still comes from the definition beside the validator.
    const alone = join(dir, "binding-only.yaml");
    copyFileSync(binding, alone);
    const a = run("policies-k8s", ["--json", alone], dir);
    assert.equal(a.status, 1, a.stderr);
    assert.ok(JSON.parse(a.stdout).findings.some((f: any) => f.code === "unknown-field" && f.line === field.line));
  } finally {
    writeFileSync(binding, pristine);
    spawnSync("bash", ["./update-namespace.sh", "default"], { cwd: k8s });
  }
});

test("without the definition beside it the validator says so, in one finding", () => {
  const d = mkdtempSync(join(tmpdir(), "cq-tarball-"));
  try {
    copyFileSync(join(dir, "policies-k8s", "cequence-validate.mjs"), join(d, "cequence-validate.mjs"));
    writeFileSync(join(d, "b.yaml"), readFileSync(join(dir, "policies-k8s", "cequence_binding.yaml")));
    const r = spawnSync(process.execPath, [join(d, "cequence-validate.mjs"), "b.yaml"], { cwd: d, encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /error \[validator-failure\] .*cequence_definition\.yaml/);
  } finally { rmSync(d, { recursive: true, force: true }); }
});
