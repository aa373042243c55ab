// With enableDebugLogs false the per-request strings must never be built: every logInfo/concatenation
// of the two guide lines in the HTTP context sits inside an `if (this.config.debug)` block. A source
// check (the wasm cannot show whether a string was built); the lines' exact text is checked end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = readFileSync(join(root, 'assembly', 'capture', 'http-context.ts'), 'utf8');

/** For each line index, whether it lies inside a block opened by `if (this.config.debug) {`. */
function debugGuarded(lines: string[]): boolean[] {
  const out: boolean[] = [];
  let depth = 0;
  let guardDepth = -1;
  for (const line of lines) {
    const code = line.replace(/\/\/.*$/, '');
    const opensGuard = /if \(this\.config\.debug\) \{/.test(code);
    for (const ch of code) {
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (guardDepth >= 0 && depth < guardDepth) guardDepth = -1;
      }
    }
    if (opensGuard && guardDepth < 0) guardDepth = depth;
    out.push(guardDepth >= 0 || opensGuard);
  }
  return out;
}

test('the per-request debug lines are built only under config.debug', () => {
  const lines = src.split('\n');
  const guarded = debugGuarded(lines);
  let found = 0;
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/logInfo\(|"Captured |"Built transaction /.test(code)) {
      found++;
      assert.ok(guarded[i], `line ${i + 1} builds a debug string outside if (this.config.debug): ${line.trim()}`);
    }
  });
  assert.equal(found >= 2, true, 'both debug lines are present');
  // The messages are msg("...") literals (assembly/literals.ts); the check reads them without the wrapper.
  const plain = src.replace(/msg\(("(?:[^"\\]|\\.)*")\)/g, '$1');
  assert.match(plain, /"Captured " \+ .*method.* \+ " " \+ .*path.* \+ " \(" \+ .*headerCount.* \+ " headers\)"/);
  assert.match(plain, /"Built transaction " \+ id \+ " \(" \+ .*method.* \+ " " \+ .*path.* \+ " - " \+ .*status.* \+ "\)"/);
});

test('the guard check itself notices an unguarded line', () => {
  const sample = ['f() {', '  if (this.config.debug) {', '    logInfo("a" + b);', '  }', '  logInfo("c" + d);', '}'];
  const g = debugGuarded(sample);
  assert.equal(g[2], true);
  assert.equal(g[4], false);
});
