// Every check of the preflight validator: a fixture that trips it (message, file:line, exit status) and
// one that passes. A few run the CLI as a subprocess; the rest call validate() directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validate, type Finding } from "../../scripts/validate/validator.ts";
import { run } from "../../scripts/validate/cli.ts";

const root = new URL("../../", import.meta.url).pathname;
const F = "tests/validator/fixtures";
const DEF = "policies-k8s/cequence_definition.yaml";
const IMPL = "policies-k8s/cequence_implementation.yaml";
const APIS = `${F}/good/api-instances.yaml`;
const GOOD = `${F}/good/cequence_binding.yaml`;

// The fixtures hold the client secret as the copy in Git does: the bundle's placeholder, written in at
// deploy time (README, "Keeping the client secret out of Git"); hence --secret-rendered-at-deploy.
const check = (paths: string[], opts = {}) => validate(paths, { cwd: root, secretRenderedAtDeploy: true, ...opts });
/** Findings of one code; fails with the whole list when there is none. */
function only(paths: string[], code: string, opts = {}): Finding[] {
  const r = check(paths, opts);
  const hits = r.findings.filter((f) => f.code === code);
  assert.ok(hits.length > 0, `expected ${code}, got ${JSON.stringify(r.findings, null, 1)}`);
  return hits;
}
function clean(paths: string[], opts = {}) {
  const r = check(paths, opts);
  assert.deepEqual(r.findings.filter((f) => f.severity !== "info"), [], "no errors or warnings");
  assert.equal(r.errors, 0);
  return r;
}
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/cequence-validate.mjs"), "--secret-rendered-at-deploy", ...args], { cwd: root, encoding: "utf8" });
/** The 1-based line of the first line of file containing `text`. */
const lineOf = (file: string, text: string) => readFileSync(join(root, file), "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;

test("the good configuration passes every check (and --strict)", () => {
  clean([DEF, IMPL, APIS, GOOD]);
  const r = cli("--strict", DEF, IMPL, APIS, GOOD);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /^OK: 0 error\(s\), 0 warning\(s\)/m);
});

test("cequenceEdgeUrl not equal to the cequence-edge-service address (CLI)", () => {
  const file = `${F}/bad/url-mismatch.yaml`;
  const r = cli(DEF, IMPL, APIS, file);
  assert.equal(r.status, 1);
  const line = lineOf(file, "cequenceEdgeUrl:");
  assert.match(r.stdout, new RegExp(`^${file}:${line}:\\d+: error \\[url-mismatch\\] cequenceEdgeUrl "https://edge.acme.cequence.ai/" is not equal to spec.address "https://edge.acme.cequence.ai" of Service cequence-edge-service`, "m"));
  assert.match(r.stdout, /differ only by a trailing slash/);
  assert.match(r.stdout, /fix: make cequenceEdgeUrl and the Service's spec.address exactly equal/);
});

test("a missing Service is reported", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    const text = readFileSync(join(root, GOOD), "utf8").split("---\n");
    writeFileSync(join(dir, "b.yaml"), [text[0], text[2]].join("---\n")); // no edge Service
    const [f] = only([join(root, DEF), join(root, IMPL), join(root, APIS), join(dir, "b.yaml")], "service-missing");
    assert.match(f.message, /Service cequence-edge-service is not in the input: the policy sends to cluster cequence-edge-service.default.svc/);
  } finally { rmSync(dir, { recursive: true }); }
});

test("serviceNamespace mismatch: one error at the serviceNamespace line naming the resources' namespace (CLI, --json)", () => {
  const file = `${F}/bad/namespace-mismatch.yaml`;
  const r = cli("--json", DEF, IMPL, APIS, file);
  assert.equal(r.status, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  const hits = out.findings.filter((f: Finding) => /namespace/.test(f.code));
  assert.equal(hits.length, 1, JSON.stringify(hits, null, 1));
  const [h] = hits;
  assert.equal(h.code, "namespace-mismatch");
  assert.equal(h.file, file);
  assert.equal(h.line, lineOf(file, "serviceNamespace:"));
  assert.match(h.message, /^serviceNamespace mismatch: serviceNamespace is "payments" but the policy resources are in namespace "default"/);
  assert.match(h.fix, /^set serviceNamespace: default, or move everything to "payments" with \.\/update-namespace\.sh payments/);
});

test("resources moved to payments, serviceNamespace left at default: one error naming payments, no ConfigMap advice", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    cpSync(join(root, "policies-k8s"), dir, { recursive: true });
    assert.equal(spawnSync("bash", [join(dir, "update-namespace.sh"), "payments"], { cwd: dir }).status, 0);
    const b = join(dir, "cequence_binding.yaml");
    writeFileSync(b, readFileSync(b, "utf8").replace("serviceNamespace: payments", "serviceNamespace: default"));
    const r = validate([dir], { cwd: dir, allowPlaceholders: true });
    const hits = r.findings.filter((f) => f.severity !== "info");
    assert.equal(hits.length, 1, JSON.stringify(hits, null, 1));
    const [h] = hits;
    assert.equal(h.code, "namespace-mismatch");
    assert.equal(h.file, "cequence_binding.yaml");
    assert.equal(h.line, readFileSync(b, "utf8").split("\n").findIndex((l) => l.includes("serviceNamespace:")) + 1);
    assert.match(h.message, /serviceNamespace is "default" but the policy resources are in namespace "payments"/);
    assert.match(h.fix, /^set serviceNamespace: payments/);
  } finally { rmSync(dir, { recursive: true }); }
});

test("one resource in another namespace than the rest is named at its metadata.namespace", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    const text = readFileSync(join(root, GOOD), "utf8").split("---\n");
    text[1] = text[1].replace("namespace: default", "namespace: payments"); // the edge Service only
    writeFileSync(join(dir, "b.yaml"), text.join("---\n"));
    const r = check([join(root, DEF), join(root, IMPL), join(root, APIS), join(dir, "b.yaml")]);
    const hits = r.findings.filter((f) => /namespace/.test(f.code));
    assert.ok(hits.length >= 1, JSON.stringify(r.findings, null, 1));
    assert.ok(hits.every((h) => h.code !== "configmap-namespace"));
  } finally { rmSync(dir, { recursive: true }); }
});

test("targetRef naming an ApiInstance that is not there (CLI)", () => {
  const file = `${F}/bad/apiinstance-not-found.yaml`;
  const r = cli(DEF, IMPL, APIS, file);
  assert.equal(r.status, 1);
  assert.match(r.stdout, new RegExp(`^${file}:${lineOf(file, "name: order-api")}:\\d+: error \\[apiinstance-not-found\\] ApiInstance not found on cequence-policy-binding: spec.targetRef names "order-api"`, "m"));
  assert.match(r.stdout, /did you mean "orders-api"\?/);
  assert.match(r.stdout, /kubectl get apiinstances -n default/);
});

test("--api-instance declares instances that live in the cluster", () => {
  clean([DEF, IMPL, GOOD], { apiInstances: ["orders-api"] });
  const [f] = only([DEF, IMPL, GOOD], "apiinstance-not-found", { apiInstances: ["default/payments-api"] });
  assert.match(f.message, /ApiInstance not found on cequence-policy-binding/);
  // Without any ApiInstance in sight the check is a note, not an error.
  const r = check([DEF, IMPL, GOOD]);
  assert.equal(r.errors, 0);
  assert.equal(r.findings.find((x) => x.code === "targetref-unchecked")?.severity, "info");
});

test("a selector whose labels match no ApiInstance", () => {
  const file = `${F}/bad/selector-no-match.yaml`;
  const [f] = only([DEF, IMPL, APIS, file], "selector-no-match");
  assert.equal(f.severity, "error");
  assert.equal(f.file, file);
  assert.equal(f.line, lineOf(file, "labels:") + 1);
  assert.match(f.message, /selector labels \{capture: cequence\} match no ApiInstance in namespace "default"/);
  clean([DEF, IMPL, APIS, `${F}/pass/selector.yaml`]);
});

test("unknown field with the nearest known name", () => {
  const file = `${F}/bad/unknown-field.yaml`;
  const [f] = only([DEF, IMPL, APIS, file], "unknown-field");
  assert.equal(f.line, lineOf(file, "cequenceMaxStatusCod:"));
  assert.equal(f.column, 5);
  assert.match(f.message, /unknown field "cequenceMaxStatusCod"/);
  assert.match(f.fix, /did you mean "cequenceMaxStatusCode"\?/);
  // Without the definition in the input, the repo's schema is used.
  assert.equal(only([APIS, file], "unknown-field")[0].line, f.line);
});

test("wrong types", () => {
  const file = `${F}/bad/wrong-type.yaml`;
  const hits = only([DEF, IMPL, APIS, file], "type");
  const max = hits.find((h) => h.message.startsWith("cequenceMaxStatusCode"))!;
  assert.equal(max.message, 'cequenceMaxStatusCode must be an integer, got string "599"');
  assert.equal(max.fix, "write 599 without quotes");
  assert.equal(max.line, lineOf(file, "cequenceMaxStatusCode:"));
  const dbg = hits.find((h) => h.message.startsWith("enableDebugLogs"))!;
  assert.match(dbg.message, /must be a boolean, got string "yes"/);
});

test("out-of-range status code", () => {
  const file = `${F}/bad/out-of-range.yaml`;
  const [f] = only([DEF, IMPL, APIS, file], "out-of-range");
  assert.equal(f.message, "cequenceMaxStatusCode is 600, out of range: it must be between 100 and 599");
  assert.equal(f.line, lineOf(file, "cequenceMaxStatusCode:"));
});

test("inverted status codes", () => {
  const file = `${F}/bad/inverted-status.yaml`;
  const [f] = only([DEF, IMPL, APIS, file], "status-range-inverted");
  assert.match(f.message, /cequenceMinStatusCode \(500\) is greater than cequenceMaxStatusCode \(499\)/);
  assert.match(f.fix, /swap them/);
  assert.equal(f.line, lineOf(file, "cequenceMaxStatusCode:"));
});

test("auth enabled without credentials; auth disabled without them passes", () => {
  const file = `${F}/bad/auth-without-credentials.yaml`;
  const hits = only([DEF, IMPL, APIS, file], "auth-credentials");
  assert.equal(hits.length, 2);
  assert.match(hits[0].message, /cequenceAuthEnabled is true but cequenceClientId is missing/);
  assert.equal(hits[0].line, lineOf(file, "cequenceAuthEnabled:"));
  assert.match(hits[1].message, /cequenceClientSecret is empty/);
  assert.equal(hits[1].line, lineOf(file, "cequenceClientSecret:"));
  clean([DEF, IMPL, APIS, `${F}/pass/auth-disabled.yaml`]);
});

test("placeholder values are errors, info with --allow-placeholders", () => {
  const file = `${F}/bad/placeholder.yaml`;
  const hits = only([DEF, IMPL, APIS, file], "placeholder").filter((h) => h.severity === "error");
  assert.equal(hits.length, 3);
  const id = hits.find((h) => h.message.includes("cequenceClientId"))!;
  assert.equal(id.line, lineOf(file, "cequenceClientId:"));
  assert.match(id.message, /placeholder value left in PolicyBinding default\/cequence-policy-binding: cequenceClientId: REPLACE_WITH_CEQUENCE_CLIENT_ID/);
  assert.ok(hits.some((h) => /example\.com domain/.test(h.message) && h.line === lineOf(file, "address: https://auth")));
  const relaxed = check([DEF, IMPL, APIS, file], { allowPlaceholders: true });
  assert.equal(relaxed.errors, 0);
  assert.equal(relaxed.findings.filter((f) => f.code === "placeholder" && f.severity === "info").length, 4);
  // Without --secret-rendered-at-deploy the secret's placeholder is an error too.
  const strict = check([DEF, IMPL, APIS, file], { secretRenderedAtDeploy: false });
  assert.equal(strict.findings.filter((f) => f.code === "placeholder" && f.severity === "error").length, 4);
});

for (const [field, value] of [
  ["cequenceClientSecret", "${env.CEQUENCE_CLIENT_SECRET}"], ["cequenceClientSecret", "${CEQUENCE_CLIENT_SECRET}"],
  ["cequenceClientSecret", "$CEQUENCE_CLIENT_SECRET"], ["cequenceClientSecret", "<client-secret>"],
  ["cequenceClientSecret", "REPLACE_ME"], ["cequenceClientId", "${CLIENT_ID}"], ["cequenceClientId", "<client-id>"],
]) {
  test(`an unrendered ${field} (${value}) is an error, even with --allow-placeholders`, () => {
    const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
    try {
      const from = field === "cequenceClientSecret" ? "cequenceClientSecret: REPLACE_WITH_CEQUENCE_CLIENT_SECRET" : "cequenceClientId: acme-gateway-prod";
      const text = readFileSync(join(root, GOOD), "utf8");
      assert.ok(text.includes(from));
      writeFileSync(join(dir, "b.yaml"), text.replace(from, `${field}: "${value}"`));
      for (const opts of [{}, { allowPlaceholders: true }]) {
        const r = check([join(root, DEF), join(root, IMPL), join(root, APIS), join(dir, "b.yaml")], opts);
        const hits = r.findings.filter((f) => f.severity !== "info");
        assert.equal(hits.length, 1, JSON.stringify(r.findings, null, 1));
        assert.equal(hits[0].code, "unrendered-placeholder");
        assert.equal(hits[0].severity, "error");
        assert.equal(hits[0].line, text.split("\n").findIndex((l) => l.includes(from)) + 1);
        assert.match(hits[0].message, new RegExp(`^${field} looks like an unrendered placeholder .*Flex Gateway does not substitute variables`));
        assert.doesNotMatch(hits[0].fix, /\$\{env/);
        assert.doesNotMatch(JSON.stringify(r.findings), /\$\{env\./, "the value is not echoed");
      }
    } finally { rmSync(dir, { recursive: true }); }
  });
}

test("a literal client secret in a file others can read warns how to render it at deploy time; exit 0 unless --strict (CLI)", () => {
  const file = `${F}/bad/literal-secret.yaml`;
  chmodSync(join(root, file), 0o644); // as Git checks it out
  const r = cli(DEF, IMPL, APIS, file);
  assert.equal(r.status, 0, "warnings do not fail");
  assert.match(r.stdout, new RegExp(`${file}:${lineOf(file, "cequenceClientSecret:")}:\\d+: warning \\[literal-secret\\] cequenceClientSecret is written literally in a file that other users can read \\(mode 0644\\)`));
  assert.match(r.stdout, /at deploy time/);
  assert.match(r.stdout, /never commit the rendered file/);
  assert.match(r.stdout, /chmod 600/);
  assert.doesNotMatch(r.stdout, /\$\{env/, "no substitution Flex Gateway does not document");
  assert.doesNotMatch(r.stdout, /s3cr3t-Value-From-Portal/, "the secret itself is never printed");
  const strict = cli("--strict", DEF, IMPL, APIS, file);
  assert.equal(strict.status, 1);
  assert.match(strict.stdout, /FAILED \(--strict: warnings count\)/);
  // The rendered copy, readable by its owner only: a note, and --strict passes.
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    const copy = join(dir, "cequence_binding.yaml");
    copyFileSync(join(root, file), copy);
    chmodSync(copy, 0o600);
    const ok = spawnSync(process.execPath, [join(root, "bin/cequence-validate.mjs"), "--strict", DEF, IMPL, APIS, copy], { cwd: root, encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /info \[literal-secret\] cequenceClientSecret is written literally \(the file is readable by its owner only\)/);
  } finally { rmSync(dir, { recursive: true }); }
});

test("K8s implementation pointing at a path the ConfigMap mount does not provide", () => {
  const file = `${F}/bad/k8s-implementation-wrong-path.yaml`;
  const [f] = only([DEF, file, APIS, GOOD], "wasm-path");
  assert.equal(f.file, file);
  assert.equal(f.line, lineOf(file, "default: file://"));
  assert.match(f.message, /reads file:\/\/\/etc\/mulesoft\/flex-gateway\/cequence_policy\.wasm/);
  assert.match(f.message, /no such file: cequence\.wasm/);
  assert.match(f.fix, /file:\/\/\/etc\/mulesoft\/flex-gateway\/wasm\/cequence\.wasm/);
});

test("a Helm values mount at another path than the implementation reads", () => {
  const file = `${F}/bad/helm-values-wrong-mount.yaml`;
  const [f] = only(["policies-k8s", file], "wasm-path", { allowPlaceholders: true });
  assert.equal(f.file, file);
  assert.equal(f.line, lineOf(file, "mountPath:"));
  assert.match(f.message, /Helm values: the cequence-wasm volume is mounted at \/etc\/mulesoft\/wasm/);
  assert.match(f.message, /no such file: cequence\.wasm/);
  clean(["policies-k8s/helm-values-cequence-wasm.yaml", IMPL, APIS, GOOD]);
});

test("wasm and ConfigMap over the 1 MiB ConfigMap limit", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    const big = Buffer.alloc(1048577);
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]).copy(big);
    writeFileSync(join(dir, "cequence_policy.wasm"), big);
    writeFileSync(join(dir, "cm.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cequence-wasm\n  namespace: default\nbinaryData:\n  cequence.wasm: ${big.toString("base64")}\n`);
    const hits = only([dir], "wasm-size");
    assert.equal(hits.length, 2);
    const wasm = hits.find((h) => h.file.endsWith("cequence_policy.wasm"))!;
    assert.match(wasm.message, /is 1048577 bytes \(1\.00 MiB\), over the 1 MiB \(1048576 bytes\) ConfigMap limit/);
    const cm = hits.find((h) => h.file.endsWith("cm.yaml"))!;
    assert.equal(cm.line, 7); // the binaryData entry
    assert.match(cm.message, /ConfigMap cequence-wasm holds 1048577 bytes/);
    // At the limit exactly, both pass.
    const ok = big.subarray(0, 1048576);
    writeFileSync(join(dir, "cequence_policy.wasm"), ok);
    writeFileSync(join(dir, "cm.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cequence-wasm\n  namespace: default\nbinaryData:\n  cequence.wasm: ${ok.toString("base64")}\n`);
    clean([dir]);
  } finally { rmSync(dir, { recursive: true }); }
});

test("a ConfigMap whose module differs from the wasm beside it", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    for (const f of ["cequence_policy.wasm", "cequence-wasm-configmap.yaml"]) copyFileSync(join(root, "policies-k8s", f), join(dir, f));
    clean([dir]);
    const wasm = readFileSync(join(dir, "cequence_policy.wasm"));
    writeFileSync(join(dir, "cequence_policy.wasm"), Buffer.concat([wasm, Buffer.from([0])]));
    const [f] = only([dir], "configmap-stale");
    assert.equal(f.severity, "warning");
    assert.match(f.message, /binaryData cequence\.wasm differs from .*cequence_policy\.wasm/);
  } finally { rmSync(dir, { recursive: true }); }
});

test("YAML that does not parse (CLI)", () => {
  const file = `${F}/bad/parse-error.yaml`;
  const r = cli(file);
  assert.equal(r.status, 1);
  assert.match(r.stdout, new RegExp(`^${file}:7:\\d+: error \\[yaml-parse\\] YAML does not parse: `, "m"));
  clean([GOOD, APIS, DEF, IMPL]); // the passing side: the good files all parse
});

test("duplicate resource names (same kind, namespace and name)", () => {
  const file = `${F}/bad/duplicate-resources.yaml`;
  const [f] = only([DEF, IMPL, APIS, GOOD, file], "duplicate-resource");
  assert.equal(f.file, file);
  assert.equal(f.line, lineOf(file, "name: cequence-edge-service"));
  assert.match(f.message, new RegExp(`duplicate resource: Service default/cequence-edge-service is also defined at ${GOOD}:${lineOf(GOOD, "name: cequence-edge-service")}`));
  // Same kind and name in another namespace is not a duplicate.
  clean([DEF, IMPL, APIS, GOOD, `${F}/pass/other-namespace-service.yaml`]);
});

test("docker run mounting the whole conf.d/ (CLI); per-file mounts pass", () => {
  const file = `${F}/bad/docker-run-confd.sh`;
  const r = cli(file);
  assert.equal(r.status, 1);
  assert.match(r.stdout, new RegExp(`^${file}:${lineOf(file, "-v ")}:3: error \\[docker-confd-mount\\] docker run volume "\\$\\(pwd\\)/conf.d:/etc/mulesoft/flex-gateway/conf.d" mounts the whole conf.d/ directory`, "m"));
  assert.match(r.stdout, /fix: mount each configuration file on its own/);
  const ok = cli(`${F}/pass/docker-run.sh`);
  assert.equal(ok.status, 0, ok.stdout);
});

test("compose file mounting the whole conf.d/; per-file mounts pass", () => {
  const file = `${F}/bad/docker-compose-confd.yaml`;
  const [f] = only([file], "docker-confd-mount");
  assert.equal(f.line, lineOf(file, "- type: bind"));
  assert.match(f.message, /compose service "flex-gateway" volume "\.\/conf\.d:\/etc\/mulesoft\/flex-gateway\/conf\.d\/" mounts the whole conf\.d\/ directory/);
  clean([`${F}/pass/docker-compose.yaml`]);
});

test("a mount of a parent of conf.d/ is caught too", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-"));
  try {
    writeFileSync(join(dir, "run.sh"), "docker run -d --name gw \\\n  --mount type=bind,source=/srv/flex,target=/etc/mulesoft/flex-gateway \\\n  mulesoft/flex-gateway\n");
    const [f] = only([dir], "docker-confd-mount");
    assert.equal(f.line, 2);
    assert.match(f.message, /mounts \/etc\/mulesoft\/flex-gateway \(a parent of conf\.d\/\)/);
  } finally { rmSync(dir, { recursive: true }); }
});

test("usage errors exit 2; a missing path is an error", () => {
  assert.equal(run([]).code, 2);
  assert.equal(run(["--bogus", "x"]).code, 2);
  const r = run(["no/such/dir"], root);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /no such file or directory: no\/such\/dir/);
});

test("capture controls: bad list entries and a list written as a string, each named with a fix", () => {
  const file = `${F}/bad/capture-controls.yaml`;
  const r = check([DEF, IMPL, APIS, file]);
  const msgs = r.findings.filter((f) => f.severity === "error").map((f) => `${f.code}: ${f.message} | ${f.fix}`);
  assert.deepEqual(msgs, [
    'pattern: cequenceExcludePaths entry 1 "static/*" is not a path: it must start with "/", and may hold * only as its last character (a prefix) | start it with "/": "/static/*"',
    'pattern: cequenceExcludePaths entry 2 "/a*b" is not a path: it must start with "/", and may hold * only as its last character (a prefix) | keep * only at the end: "/a*"',
    'type: cequenceExcludeMethods must be a list of strings, got string "OPTIONS" | write a list: cequenceExcludeMethods: ["OPTIONS"]',
    'pattern: cequenceRedactHeaders entry 0 ":path" is not a header name that can be redacted (a token; pseudo-headers such as :path cannot be) | remove it: pseudo-headers are fields of the transaction (method, path, host, status), not headers',
    'pattern: cequenceSkipBodyContentTypes entry 1 "*/*" is not a media type (type/subtype, or type/* for a whole type) | write e.g. image/png, or image/* for every image type',
  ]);
  assert.equal(r.findings.find((f) => f.message.startsWith("cequenceExcludeMethods"))!.line, lineOf(file, "cequenceExcludeMethods:"));
  // The same entries pass when written as the policy accepts them.
  const good = readFileSync(join(root, file), "utf8").replace("      - static/*\n      - /a*b", "      - /static/*").replace("cequenceExcludeMethods: OPTIONS", "cequenceExcludeMethods: [OPTIONS]")
    .replace('      - ":path"', "      - Authorization").replace('      - "*/*"', "      - application/octet-stream");
  const dir = mkdtempSync(join(tmpdir(), "cq-controls-"));
  try {
    writeFileSync(join(dir, "binding.yaml"), good);
    clean([DEF, IMPL, APIS, join(dir, "binding.yaml")]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
