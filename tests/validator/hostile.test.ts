// Bad input never crashes the validator: an alias bomb, random bytes, a 50 MB file, a symbolic link that
// loops, a file that cannot be read (a directory or a named pipe where a file is expected) and binary
// in place of YAML each give exactly one finding with file:line:column and exit status 1, within a few
// seconds and with a small heap (the shipped, bundled validator runs with --max-old-space-size=96).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, openSync, closeSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validate } from "../../scripts/validate/validator.ts";

const root = new URL("../../", import.meta.url).pathname;
const BUNDLED = join(root, "policies-k8s/cequence-validate.mjs");

/** The billion laughs: nine levels of ten aliases each. */
const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...["b", "c", "d", "e", "f", "g", "h", "i"].map((k, i) => {
    const prev = "abcdefghi"[i];
    return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(",")}]`;
  }),
  "",
].join("\n");

/** Deterministic bytes (a linear congruential generator), so a failure can be replayed. */
function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; b[i] = x >>> 24; }
  return b;
}

interface Run { status: number | null; findings: any[]; ms: number; stdout: string; stderr: string }
/** The shipped validator on `args`, as an operator runs it, with a heap far below what a 50 MB parse needs. */
function runBundled(cwd: string, ...args: string[]): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--max-old-space-size=96", BUNDLED, "--json", ...args], { cwd, encoding: "utf8", timeout: 60000 });
  const ms = Date.now() - t0;
  let findings: any[] = [];
  try { findings = JSON.parse(r.stdout).findings; } catch { /* reported below */ }
  return { status: r.status, findings, ms, stdout: r.stdout, stderr: r.stderr };
}

function expectOneFinding(r: Run, file: string, code: RegExp, line?: number) {
  const what = `stdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
  assert.equal(r.stderr, "", `no stack trace, no warning: ${what}`);
  assert.equal(r.status, 1, what);
  assert.equal(r.findings.length, 1, what);
  const [f] = r.findings;
  assert.equal(f.severity, "error", what);
  assert.match(f.code, code, what);
  assert.equal(f.file, file, what);
  assert.ok(Number.isInteger(f.line) && f.line >= 1 && Number.isInteger(f.column) && f.column >= 1, what);
  if (line !== undefined) assert.equal(f.line, line, what);
  assert.ok(f.message.length > 10 && f.fix.length > 10, what);
  assert.ok(r.ms < 15000, `took ${r.ms} ms`);
}

/** A fresh folder under the temporary directory, removed whatever the test does. */
function withDir(body: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "cq-val-hostile-"));
  try { body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test("the bundled validator exists (npm run build writes it)", () => {
  assert.ok(readFileSync(BUNDLED).length > 1000, `${BUNDLED} is missing: run npm run build`);
});

test("an alias bomb: one yaml-aliases error at the first alias, no ReferenceError", () => {
  withDir((dir) => {
    writeFileSync(join(dir, "bomb.yaml"), ALIAS_BOMB);
    const r = runBundled(dir, ".");
    expectOneFinding(r, "bomb.yaml", /^yaml-aliases$/, 2);
    assert.match(r.findings[0].message, /more aliases than a configuration needs/);
    // The library API does not throw either.
    const v = validate([join(dir, "bomb.yaml")], { cwd: dir });
    assert.deepEqual(v.findings.map((f) => f.code), ["yaml-aliases"]);
    // Beside a real bundle the rest is still checked.
    execFileSync("cp", ["-r", join(root, "policies-k8s"), join(dir, "k8s")]);
    writeFileSync(join(dir, "k8s", "bomb.yaml"), ALIAS_BOMB);
    const mixed = runBundled(dir, "--allow-placeholders", "k8s");
    assert.equal(mixed.status, 1);
    assert.deepEqual(mixed.findings.filter((f) => f.severity !== "info").map((f) => `${f.file}:${f.line} ${f.code}`), ["k8s/bomb.yaml:2 yaml-aliases"]);
  });
});

for (const seed of [1, 2, 3]) {
  test(`random bytes as YAML (seed ${seed}): one not-text error`, () => {
    withDir((dir) => {
      writeFileSync(join(dir, "cequence_binding.yaml"), randomBytes(65536, seed));
      expectOneFinding(runBundled(dir, "."), "cequence_binding.yaml", /^not-text$/);
    });
  });
}

test("printable random text as YAML: one yaml-parse error (or nothing to check), never a crash", () => {
  withDir((dir) => {
    const b = randomBytes(65536, 7);
    for (let i = 0; i < b.length; i++) b[i] = 0x20 + (b[i] % 95); // printable ASCII: YAML of sorts
    writeFileSync(join(dir, "noise.yaml"), b);
    const r = runBundled(dir, ".");
    assert.equal(r.stderr, "");
    assert.ok(r.status === 0 || r.status === 1, r.stdout);
    assert.ok(r.findings.length <= 21, `bounded report: ${r.findings.length} findings`); // one parse error, at most 20 YAML warnings
  });
});

test("a 50 MB file: one file-too-large error, without reading it", () => {
  withDir((dir) => {
    const fd = openSync(join(dir, "huge.yaml"), "w");
    ftruncateSync(fd, 50 * 1048576);
    closeSync(fd);
    const r = runBundled(dir, ".");
    expectOneFinding(r, "huge.yaml", /^file-too-large$/, 1);
    assert.match(r.findings[0].message, /is 52428800 bytes \(50\.00 MiB\)/);
    expectOneFinding(runBundled(dir, "huge.yaml"), "huge.yaml", /^file-too-large$/, 1);
  });
});

test("a 50 MB text file of YAML-looking lines: the same, with a small heap", () => {
  withDir((dir) => {
    writeFileSync(join(dir, "big.yaml"), Buffer.alloc(50 * 1048576, "k: v\n"));
    expectOneFinding(runBundled(dir, "."), "big.yaml", /^file-too-large$/, 1);
  });
});

test("a symbolic link that loops, in the directory checked: one input-unreadable error", () => {
  withDir((dir) => {
    symlinkSync("loop.yaml", join(dir, "loop.yaml"));
    const r = runBundled(dir, ".");
    expectOneFinding(r, "loop.yaml", /^input-unreadable$/, 1);
    assert.match(r.findings[0].message, /loops \(ELOOP\)/);
    // Two links pointing at each other, passed directly.
    symlinkSync("b.yaml", join(dir, "a.yaml"));
    symlinkSync("a.yaml", join(dir, "b.yaml"));
    expectOneFinding(runBundled(dir, "a.yaml"), "a.yaml", /^input-unreadable$/, 1);
  });
});

test("a directory where a file is expected: one input-unreadable error", () => {
  withDir((dir) => {
    mkdirSync(join(dir, "cequence_binding.yaml"));
    const r = runBundled(dir, ".");
    expectOneFinding(r, "cequence_binding.yaml", /^input-unreadable$/, 1);
    assert.match(r.findings[0].message, /is a directory, not a regular file/);
  });
});

test("a named pipe where a file is expected: one input-unreadable error, and no hang", () => {
  withDir((dir) => {
    execFileSync("mkfifo", [join(dir, "cequence_binding.yaml")]);
    expectOneFinding(runBundled(dir, "."), "cequence_binding.yaml", /^input-unreadable$/, 1);
    expectOneFinding(runBundled(dir, "cequence_binding.yaml"), "cequence_binding.yaml", /^input-unreadable$/, 1);
  });
});

test("a file that opens but cannot be read (EIO: a .yaml link to /proc/self/mem, unreadable even as root): one input-unreadable error", () => {
  // As root, chmod 000 still reads: /proc/self/mem is a regular file whose first page is not mapped,
  // so read() fails (EIO) for any user, the same path as EACCES (open and read errors are caught).
  withDir((dir) => {
    symlinkSync("/proc/self/mem", join(dir, "cequence_binding.yaml"));
    const r = runBundled(dir, ".");
    expectOneFinding(r, "cequence_binding.yaml", /^input-unreadable$/, 1);
    assert.match(r.findings[0].message, /cannot be read/);
  });
});

test("a path that cannot be opened (ENOTDIR, through the library): one input-unreadable error", () => {
  // As root, chmod 000 still reads; a path under a regular file gives ENOTDIR from open() instead,
  // the same code path as EACCES (readInput catches what open/read throw).
  withDir((dir) => {
    writeFileSync(join(dir, "plain"), "x");
    const r = validate([join(dir, "plain", "cequence_binding.yaml")], { cwd: dir });
    assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
    assert.match(r.findings[0].code, /^input-(missing|unreadable)$/);
  });
});

test("binary (the wasm module) in place of the binding: one not-text error at the first NUL byte", () => {
  withDir((dir) => {
    writeFileSync(join(dir, "cequence_binding.yaml"), readFileSync(join(root, "policies-k8s/cequence_policy.wasm")));
    const r = runBundled(dir, "cequence_binding.yaml");
    expectOneFinding(r, "cequence_binding.yaml", /^not-text$/, 1);
    assert.equal(r.findings[0].column, 1); // "\0asm" starts with a NUL
    assert.match(r.findings[0].message, /is not a text file \(a NUL byte here\): YAML expected/);
  });
});
