// Builds tests/envoy/modules/trap.ts (a module that traps in on_request_headers) with the policy's
// release runtime flags, for the tests that show what a trap does (Envoy's fail-closed 503, the fuzzer's
// trap detection). Returns the module's bytes; the build folder is removed before returning.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function buildTrapModule(): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'cequence-trap-'));
  try {
    const out = path.join(dir, 'trap.wasm');
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js'), path.join(ROOT, 'tests/envoy/modules/trap.ts'),
      '--config', path.join(ROOT, 'tests/emulator/modules/asconfig.json'), '-o', out,
      '--runtime', 'incremental', '--exportStart', '_initialize', '--use', 'abort=abort_proc_exit', '-O1',
    ], { cwd: ROOT, stdio: 'pipe' });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
