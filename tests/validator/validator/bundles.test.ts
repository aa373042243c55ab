// The validator on the built bundles, and the Kubernetes kit the build writes into policies-k8s/:
// every manifest parses and has the shape of its kind; the ConfigMap carries exactly the built wasm.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { validate } from "../../scripts/validate/validator.ts";
import {
  renderWasmConfigMap, renderHelmValues, renderKubectlPatch, renderOperatorVolumes, KIT_FILES, K8S_WASM_PATH,
} from "../../scripts/bundle.mjs";

const root = new URL("../../", import.meta.url).pathname;
const k8s = join(root, "policies-k8s");
const read = (f: string) => readFileSync(join(k8s, f));
const wasm = read("cequence_policy.wasm");
const yamlDocs = (f: string) => parseAllDocuments(read(f).toString()).map((d) => {
  assert.deepEqual(d.errors, [], `${f} parses`);
  return d.toJS();
});
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/cequence-validate.mjs"), ...args], { cwd: root, encoding: "utf8" });

const VOLUME = { name: "cequence-wasm", configMap: { name: "cequence-wasm" } };
const MOUNT = { name: "cequence-wasm", mountPath: "/etc/mulesoft/flex-gateway/wasm", readOnly: true };

for (const platform of ["policies-docker-linux", "policies-k8s"]) {
  test(`${platform}: the built bundle passes with --allow-placeholders (and --strict)`, () => {
    const r = validate([join(root, platform)], { allowPlaceholders: true, cwd: root });
    assert.equal(r.errors, 0, JSON.stringify(r.findings, null, 1));
    assert.equal(r.warnings, 0, JSON.stringify(r.findings, null, 1));
    const c = cli("--strict", "--allow-placeholders", platform);
    assert.equal(c.status, 0, c.stdout);
  });

  test(`${platform}: without --allow-placeholders the only errors are the placeholders`, () => {
    const r = validate([join(root, platform)], { cwd: root });
    const errors = r.findings.filter((f) => f.severity === "error");
    assert.ok(errors.length >= 6);
    assert.deepEqual([...new Set(errors.map((f) => f.code))], ["placeholder"]);
    assert.equal(cli(platform).status, 1);
  });
}

test("policies-k8s after update-namespace.sh other-ns passes, ConfigMap moved too", () => {
  const dir = mkdtempSync(join(tmpdir(), "cq-kit-"));
  try {
    cpSync(k8s, dir, { recursive: true });
    const r = spawnSync("bash", [join(dir, "update-namespace.sh"), "other-ns"], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const v = validate([dir], { allowPlaceholders: true });
    assert.equal(v.errors + v.warnings, 0, JSON.stringify(v.findings, null, 1));
    const [cm] = parseAllDocuments(readFileSync(join(dir, KIT_FILES.configMap), "utf8")).map((d) => d.toJS());
    assert.equal(cm.metadata.namespace, "other-ns");
    assert.match(readFileSync(join(dir, KIT_FILES.helmValues), "utf8"), /--namespace other-ns/);
    assert.match(readFileSync(join(dir, KIT_FILES.operatorVolumes), "utf8"), /--namespace other-ns/);
    assert.ok(readFileSync(join(dir, KIT_FILES.kubectlPatch)).equals(read(KIT_FILES.kubectlPatch)), "the JSON patch has no namespace");
    // Moving only the ConfigMap back is caught.
    spawnSync("sed", ["-i", "s/namespace: other-ns/namespace: default/", join(dir, KIT_FILES.configMap)]);
    const w = validate([dir], { allowPlaceholders: true }).findings.filter((f) => f.code === "configmap-namespace");
    assert.equal(w.length, 1);
  } finally { rmSync(dir, { recursive: true }); }
});

test("kit files are what the build renders, and are in the tarball", () => {
  assert.equal(read(KIT_FILES.configMap).toString(), renderWasmConfigMap(wasm));
  assert.equal(read(KIT_FILES.helmValues).toString(), renderHelmValues());
  assert.equal(read(KIT_FILES.kubectlPatch).toString(), renderKubectlPatch());
  assert.equal(read(KIT_FILES.operatorVolumes).toString(), renderOperatorVolumes());
  const list = execFileSync("tar", ["-tzf", join(root, "cequence-local-mode-flexgateway.tar.gz")], { encoding: "utf8" }).split("\n");
  for (const f of Object.values(KIT_FILES)) assert.ok(list.includes(`policies-k8s/${f}`), `${f} in the tarball`);
});

test("update-namespace.sh lists every kit file", () => {
  const script = read("update-namespace.sh").toString();
  const optional = /^optional=\(([^)]*)\)/m.exec(script)![1].split(/\s+/).filter(Boolean);
  assert.deepEqual(optional.sort(), Object.values(KIT_FILES).sort());
});

test("ConfigMap manifest: v1 ConfigMap cequence-wasm whose binaryData is exactly the built wasm", () => {
  const docs = yamlDocs(KIT_FILES.configMap);
  assert.equal(docs.length, 1);
  const [cm] = docs;
  assert.equal(cm.apiVersion, "v1");
  assert.equal(cm.kind, "ConfigMap");
  assert.equal(cm.metadata.name, "cequence-wasm");
  assert.equal(cm.metadata.namespace, "default");
  assert.deepEqual(Object.keys(cm).sort(), ["apiVersion", "binaryData", "kind", "metadata"]);
  assert.deepEqual(Object.keys(cm.binaryData), ["cequence.wasm"]);
  const b64: string = cm.binaryData["cequence.wasm"];
  assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/, "plain base64, no whitespace");
  assert.ok(Buffer.from(b64, "base64").equals(wasm), "decodes to policies-k8s/cequence_policy.wasm");
  assert.equal(K8S_WASM_PATH, `${MOUNT.mountPath}/${Object.keys(cm.binaryData)[0]}`, "mount dir + key = the implementation's path");
});

test("kubectl patch JSON: RFC 6902 add ops for the volume and the volumeMount", () => {
  const ops = JSON.parse(read(KIT_FILES.kubectlPatch).toString());
  assert.ok(Array.isArray(ops));
  assert.equal(ops.length, 2);
  for (const op of ops) {
    assert.deepEqual(Object.keys(op).sort(), ["op", "path", "value"]);
    assert.equal(op.op, "add");
    assert.match(op.path, /^(\/[^/~]*(~[01][^/~]*)*)+$/, "a JSON Pointer");
  }
  assert.equal(ops[0].path, "/spec/template/spec/volumes/-");
  assert.deepEqual(ops[0].value, VOLUME);
  assert.equal(ops[1].path, "/spec/template/spec/containers/0/volumeMounts/-");
  assert.deepEqual(ops[1].value, MOUNT);
});

test("Helm values: extraVolumes / extraVolumeMounts", () => {
  const [v] = yamlDocs(KIT_FILES.helmValues);
  assert.deepEqual(Object.keys(v).sort(), ["extraVolumeMounts", "extraVolumes"]);
  assert.deepEqual(v.extraVolumes, [VOLUME]);
  assert.deepEqual(v.extraVolumeMounts, [MOUNT]);
});

test("Flex Gateway Operator snippet: spec.volumes / spec.volumeMounts", () => {
  const [o] = yamlDocs(KIT_FILES.operatorVolumes);
  assert.deepEqual(Object.keys(o), ["spec"]);
  assert.deepEqual(o.spec, { volumes: [VOLUME], volumeMounts: [MOUNT] });
});
