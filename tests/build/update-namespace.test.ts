// update-namespace.sh on a copy of the Kubernetes bundle.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

const bundle = new URL("../../policies-k8s/", import.meta.url).pathname;
const FILES = ["cequence_definition.yaml", "cequence_implementation.yaml", "cequence_binding.yaml"];

function copyBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), "cq-ns-"));
  cpSync(bundle, dir, { recursive: true });
  return dir;
}
const run = (dir: string, ...args: string[]) => spawnSync("bash", [join(dir, "update-namespace.sh"), ...args], { cwd: dir, encoding: "utf8" });
const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
const resources = (dir: string) => FILES.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS()));

test("a valid namespace rewrites every resource and serviceNamespace, keeping comments", () => {
  const dir = copyBundle();
  try {
    const r = run(dir, "team-payments");
    assert.equal(r.status, 0, r.stderr);
    const all = resources(dir);
    assert.equal(all.length, 5);
    for (const d of all) assert.equal(d.metadata.namespace, "team-payments", `${d.kind} ${d.metadata.name}`);
    const binding = all.find((d) => d.kind === "PolicyBinding");
    assert.equal(binding.spec.config.serviceNamespace, "team-payments");
    const text = FILES.map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
    assert.doesNotMatch(text, /namespace: default/);
    assert.match(text, /must be exactly equal to cequenceAuthUrl/, "comments survive");
    // Nothing but namespace lines changed.
    for (const f of FILES) {
      const before = readFileSync(join(bundle, f), "utf8").split("\n");
      const after = readFileSync(join(dir, f), "utf8").split("\n");
      assert.equal(after.length, before.length);
      before.forEach((line, i) => { if (line !== after[i]) assert.match(line, /amespace: default$/, `${f}:${i + 1}`); });
    }
  } finally { rmSync(dir, { recursive: true }); }
});

test("a second run with the same name changes nothing", () => {
  const dir = copyBundle();
  try {
    assert.equal(run(dir, "ns-a").status, 0);
    const once = snapshot(dir);
    const r = run(dir, "ns-a");
    assert.equal(r.status, 0);
    assert.match(r.stdout, /\(0 changed\)/);
    assert.deepEqual(snapshot(dir), once);
    // And moving on to another namespace still works after the first rename.
    assert.equal(run(dir, "ns-b").status, 0);
    for (const d of resources(dir)) assert.equal(d.metadata.namespace, "ns-b");
  } finally { rmSync(dir, { recursive: true }); }
});

for (const bad of ["Team", "team_a", "-team", "team-", "a".repeat(64), "", "a b", "x;rm -rf /"]) {
  test(`rejects invalid namespace ${JSON.stringify(bad.length > 20 ? bad.slice(0, 10) + "…" : bad)} and changes nothing`, () => {
    const dir = copyBundle();
    try {
      const before = snapshot(dir);
      const r = run(dir, bad);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /not a valid Kubernetes namespace/);
      assert.deepEqual(snapshot(dir), before);
    } finally { rmSync(dir, { recursive: true }); }
  });
}

test("with a file missing it exits non-zero and changes nothing", () => {
  const dir = copyBundle();
  try {
    rmSync(join(dir, "cequence_binding.yaml"));
    const before = snapshot(dir);
    const r = run(dir, "other");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cequence_binding.yaml not found/);
    assert.deepEqual(snapshot(dir), before);
  } finally { rmSync(dir, { recursive: true }); }
});

test("without an argument it prints usage", () => {
  const dir = copyBundle();
  try {
    const r = run(dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage/);
  } finally { rmSync(dir, { recursive: true }); }
});
