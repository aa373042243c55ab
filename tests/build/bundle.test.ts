// The bundles an operator deploys: shapes from DESIGN.md §3, and the definition's schema equals the
// config schema the parser's tables are generated from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { parseAllDocuments } from "yaml";
import { loadConfigSchema, renderFields } from "../../scripts/config-fields.mjs";

const root = new URL("../../", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root));
const docs = (p: string) => parseAllDocuments(read(p).toString()).map((d) => {
  assert.deepEqual(d.errors, [], `${p} does not parse`);
  return d.toJS();
});
const schema = loadConfigSchema();
const wasm = read("policies-k8s/cequence_policy.wasm");

for (const platform of ["policies-docker-linux", "policies-k8s"]) {
  test(`${platform}: definition`, () => {
    const [def] = docs(`${platform}/cequence_definition.yaml`);
    assert.equal(def.apiVersion, "gateway.mulesoft.com/v1alpha1");
    assert.equal(def.kind, "Extension");
    assert.equal(def.metadata.namespace, "default");
    assert.deepEqual(def.spec.extends, [{ name: "extension-definition" }]);
    assert.deepEqual(def.spec.required, schema.required);
    assert.deepEqual(Object.keys(def.spec.properties), Object.keys(schema.properties));
    for (const [name, p] of Object.entries<any>(schema.properties)) {
      const d = def.spec.properties[name];
      assert.equal(d.type, p.type, name);
      assert.deepEqual(d.default, p.default, `${name} default`);
      assert.deepEqual(d.items, p.items, `${name} items`);
      assert.equal(d.maxItems, p.maxItems, `${name} maxItems`);
      assert.equal(d.minimum, p.minimum, `${name} minimum`);
      assert.equal(d.maximum, p.maximum, `${name} maximum`);
      assert.ok(d.description && d.description.length > 10, `${name} has a description`);
    }
  });

  test(`${platform}: implementation`, () => {
    const [impl] = docs(`${platform}/cequence_implementation.yaml`);
    const [def] = docs(`${platform}/cequence_definition.yaml`);
    assert.equal(impl.kind, "Extension");
    assert.notEqual(impl.metadata.name, def.metadata.name);
    assert.deepEqual(impl.spec.extends.map((e: any) => e.name), [def.metadata.name, "envoy-filter", "proxy-wasm-filter"]);
    assert.equal(impl.spec.properties.rootId.default, "main");
    const src: string = impl.spec.properties.implementation.default;
    if (platform === "policies-k8s") {
      assert.equal(src, "file:///etc/mulesoft/flex-gateway/wasm/cequence.wasm");
    } else {
      assert.ok(src.startsWith("base64://"));
      assert.ok(Buffer.from(src.slice(9), "base64").equals(wasm), "base64 decodes to the wasm file's bytes");
    }
  });

  test(`${platform}: binding`, () => {
    const all = docs(`${platform}/cequence_binding.yaml`);
    const [impl] = docs(`${platform}/cequence_implementation.yaml`);
    assert.deepEqual(all.map((d) => d.kind), ["Service", "Service", "PolicyBinding"]);
    const [auth, edge, binding] = all;
    assert.equal(auth.metadata.name, "cequence-auth-service");
    assert.equal(edge.metadata.name, "cequence-edge-service");
    for (const d of all) assert.equal(d.metadata.namespace, "default");
    assert.equal(binding.metadata.name, "cequence-policy-binding");
    assert.equal(binding.spec.targetRef.kind, "ApiInstance");
    assert.ok(binding.spec.targetRef.name);
    assert.equal(binding.spec.policyRef.name, impl.metadata.name);
    const c = binding.spec.config;
    assert.equal(c.cequenceAuthUrl, auth.spec.address);
    assert.equal(c.cequenceEdgeUrl, edge.spec.address);
    assert.equal(c.serviceNamespace, auth.metadata.namespace);
    for (const k of Object.keys(c)) assert.ok(k in schema.properties, `binding field ${k} is in the schema`);
    assert.match(read(`${platform}/cequence_binding.yaml`).toString(), /must be exactly equal to cequenceAuthUrl/i);
  });
}

test("policies-k8s carries update-namespace.sh, executable and equal to the root copy", () => {
  const p = new URL("policies-k8s/update-namespace.sh", root);
  assert.ok(existsSync(p));
  assert.ok(statSync(p).mode & 0o100);
  assert.ok(read("policies-k8s/update-namespace.sh").equals(read("update-namespace.sh")));
});

test("the tarball holds both folders with the same bytes", () => {
  const list = execFileSync("tar", ["-tzf", new URL("cequence-local-mode-flexgateway.tar.gz", root).pathname]).toString().trim().split("\n");
  for (const f of ["policies-docker-linux/cequence_definition.yaml", "policies-docker-linux/cequence_implementation.yaml",
    "policies-docker-linux/cequence_binding.yaml", "policies-k8s/cequence_policy.wasm", "policies-k8s/update-namespace.sh",
    "policies-k8s/cequence_implementation.yaml"]) assert.ok(list.includes(f), `tarball has ${f}`);
  const inTar = execFileSync("tar", ["-xzOf", new URL("cequence-local-mode-flexgateway.tar.gz", root).pathname, "policies-k8s/cequence_policy.wasm"], { maxBuffer: 16 << 20 });
  assert.ok(inTar.equals(wasm));
});

test("the parser's tables are generated from the current schema (defaults cannot drift)", () => {
  assert.equal(read("assembly/config/fields.generated.ts").toString(), renderFields(schema));
});

test("the README documents every configuration field with its default", () => {
  const readme = read("README.md").toString();
  for (const [name, p] of Object.entries<any>(schema.properties)) {
    const row = readme.split("\n").find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(row, `README has a row for ${name}`);
    const shown = Array.isArray(p.default) ? JSON.stringify(p.default) : String(p.default);
    if (p.default !== undefined) assert.ok(row!.includes("`" + shown + "`"), `README row for ${name} shows default ${shown}`);
  }
});
