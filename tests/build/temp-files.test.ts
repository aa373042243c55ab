// Temporary files are removed by every test, also when a test fails: a representative set of suites,
// and a fixture that makes every kind of temporary file the tests make (emulator conf.d and module
// builds, a local deploy, a harness subject never closed) and then fails, each run with a temporary
// directory of its own (TMPDIR), which must be empty afterwards. tsx would keep its compile cache there
// (tsx-<uid>): `npm test` runs with TSX_DISABLE_CACHE=1 (package.json), and so do these runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runWithOwnTmp(files: string[], extra: string[] = []): { status: number | null; left: string[]; out: string } {
  const tmp = mkdtempSync(path.join(tmpdir(), 'cq-tmpcheck-'));
  try {
    const r = spawnSync(process.execPath, ['--enable-source-maps', '--import', 'tsx', '--test', ...extra, ...files], {
      // Without NODE_TEST_CONTEXT (set in this file's own process): the nested run reports and exits as a run of its own.
      cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), TMPDIR: tmp, TSX_DISABLE_CACHE: '1' },
    });
    return { status: r.status, left: readdirSync(tmp), out: r.stdout.slice(-4000) + r.stderr.slice(-2000) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('a failing test file leaves nothing in the temporary directory', () => {
  const r = runWithOwnTmp(['tests/build/fixtures/leaves-temp-then-fails.ts']);
  assert.equal(r.status, 1, `the fixture fails on purpose:\n${r.out}`);
  assert.match(r.out, /this fixture fails on purpose/);
  assert.deepEqual(r.left, []);
});

test('representative suites leave nothing in the temporary directory', () => {
  const r = runWithOwnTmp([
    'tests/build/update-namespace.test.ts', 'tests/validator/checks.test.ts', 'tests/validator/hostile.test.ts',
    'tests/validator/tarball.test.ts', 'tests/mock-cequence/mock-cequence.test.ts',
  ]);
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(r.left, []);
});
