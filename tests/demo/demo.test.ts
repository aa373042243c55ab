// `npm run demo` as a user runs it: on Envoy by default, with the emulator on request; the story the
// README tells (the guide's log lines, from the gateway's own log; Edge receiving the transactions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The demo with a temporary directory of its own, which must be empty when it has finished. */
async function demo(args: string[]): Promise<string> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'cq-demo-test-'));
  try {
    const { stdout } = await run('npm', ['run', '-s', 'demo', '--', ...args], { cwd: ROOT, timeout: 90_000, env: { ...process.env, TMPDIR: tmp } });
    // tsx keeps its compile cache there (tsx-<uid>): the tool's, not the demo's.
    assert.deepEqual(readdirSync(tmp).filter((n) => !/^tsx-\d+$/.test(n)), [], 'the demo leaves nothing in the temporary directory');
    return stdout;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The debug line of a call that is not captured is explained, and every size is in bytes. */
function assertWording(out: string): void {
  assert.match(out, /Captured GET \/api\/broken\?status=500/);
  assert.match(out, /Note: the policy logs "Captured <method> <path>" when the request arrives, before the response status is known\./);
  assert.match(out, /GET \/api\/broken\?status=500\nhas a "Captured" line but no "Built transaction" line, and is not sent to Edge\./);
  assert.doesNotMatch(out, /\d B\b|\bKB\b|characters/, 'one unit for sizes: bytes');
}

const GUIDE = [
  /wasm log main: \[cequence\] Policy configured \(debug_logs=true\)/,
  /wasm log main: \[cequence\] Root context initialized/,
  /wasm log cequence-policy-binding main: \[cequence\] Captured GET \/api\/users\?id=42&sort=asc \(\d+ headers\)/,
  /wasm log cequence-policy-binding main: \[cequence\] Built transaction [0-9a-f]{32} \(GET \/api\/users\?id=42&sort=asc - 200\)/,
  /\[cequence\] Root: sending 5 transaction\(s\) to edge/,
  /\[cequence\] Root: edge callback - 5 transaction\(s\) sent \(status=200\)/,
];

test('npm run demo runs on Envoy: its version, the guide\'s lines from Envoy\'s log, 5 transactions over HTTPS', async () => {
  const out = await demo([]);
  assert.match(out, /^Gateway: Envoy 1\.40\.0 \(the reference host\)/m);
  for (const re of GUIDE) assert.match(out, re);
  // Envoy's own log format: [time][thread][level][logger] [source location] message.
  assert.match(out, /\[\d{4}-\d\d-\d\d [\d:.]+\]\[\d+\]\[info\]\[wasm\] \[source\/extensions\/common\/wasm\/context\.cc:\d+\] wasm log main: \[cequence\] Policy configured/);
  assert.match(out, /Edge received 5 transaction\(s\) in \d+ batch\(es\) over HTTPS/);
  assert.match(out, /POST \/api\/upload +200 +request 32768 bytes "A+…" \(truncated\)/);
  assertWording(out);
  assert.doesNotMatch(out, /\/api\/broken\?status=500 +500 +request/); // the 500 is not captured
});

test('npm run demo -- --host emulator tells the same story on the emulator', async () => {
  const out = await demo(['--host', 'emulator']);
  assert.match(out, /^Gateway: the emulator/m);
  // The emulator prints Envoy's prefixes too: `wasm log main:` from the root context, the plugin name on stream lines.
  for (const re of GUIDE) assert.match(out, re);
  assert.match(out, /Edge received 5 transaction\(s\) in \d+ batch\(es\) over HTTP,/);
  assertWording(out);
});
