// Temporary files of the tests, the demo and the tools: made under os.tmpdir() with a project prefix and
// removed when the process exits, whatever happened before (a failed assertion, an exception, an
// explicit process.exit). node:test runs each test file in its own process, so a file's leftovers go
// with it even when one of its tests fails. Code that removes its folder earlier (Subject.close) may.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const owned = new Set<string>();
let hooked = false;

function cleanup(): void {
  for (const p of owned) {
    try { rmSync(p, { recursive: true, force: true }); } catch { /* already gone, or not ours to remove any more */ }
  }
  owned.clear();
}

/** Removes `p` (a file or a folder) when the process exits; returns `p`. */
export function removeOnExit(p: string): string {
  owned.add(p);
  if (!hooked) {
    hooked = true;
    process.once('exit', cleanup);
  }
  return p;
}

/** A fresh folder `<os.tmpdir()>/<prefix>XXXXXX`, removed when the process exits. */
export function tempDir(prefix: string): string {
  return removeOnExit(mkdtempSync(path.join(tmpdir(), prefix)));
}
