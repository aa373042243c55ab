// `npm run demo` as a user runs it: on Envoy by default, with the emulator on request; the story the
// README tells (the guide's log lines, from the gateway's own log; Edge receiving the transactions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

async function demo(args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '-s', 'demo', '--', ...args], { cwd: ROOT, timeout: 90_000 });
  return stdout;
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
  assert.match(out, /POST \/api\/upload +200 +request 32768 B "A+…" \(truncated\)/);
  assert.doesNotMatch(out, /\/api\/broken\?status=500 +500 +request/); // the 500 is not captured
});

test('npm run demo -- --host emulator tells the same story on the emulator', async () => {
  const out = await demo(['--host', 'emulator']);
  assert.match(out, /^Gateway: the emulator/m);
  // The emulator prints Envoy's prefixes too: `wasm log main:` from the root context, the plugin name on stream lines.
  for (const re of GUIDE) assert.match(out, re);
  assert.match(out, /Edge received 5 transaction\(s\) in \d+ batch\(es\) over HTTP,/);
});
