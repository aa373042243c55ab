// Imports go one way: no import circle in the TypeScript folders (type-only imports count). Add a
// folder to FOLDERS as it is added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph, importSpecifiers } from './import-cycles.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOLDERS = ['assembly', 'emulator', 'envoy-gateway', 'harness', 'scripts'];

for (const folder of FOLDERS) {
  test(`${folder}/ has no import circle`, () => {
    const graph = importGraph(ROOT, [folder]);
    assert.ok(graph.size > 0, `no source files found in ${folder}/`);
    const cycles = importCycles(graph);
    assert.deepEqual(cycles, [], `import circles in ${folder}/:\n${cycles.map((c) => c.join(' -> ')).join('\n')}`);
  });
}

test('the folders together have no import circle (imports across them go one way too)', () => {
  assert.deepEqual(importCycles(importGraph(ROOT, FOLDERS)), []);
});

test('reads every kind of import: type-only, multi-line, re-export, side effect, dynamic; not comments', () => {
  const text = [
    "import type { A } from './a.ts';",
    'import {',
    '  B,',
    '  type C,',
    "} from './b.ts';",
    "export * from './c.ts';",
    "export { D } from './d.ts';",
    "import './e.ts';",
    "const f = await import('./f.ts');",
    "// import { G } from './g.ts';",
    "export const h = './h.ts';",
    "import { I } from './i'; // AssemblyScript: no extension",
  ].join('\n');
  assert.deepEqual(importSpecifiers(text), ['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts', './f.ts', './i']);
});

test('finds a circle, a self-import, and reports one path round each', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', []],
    ['e.ts', ['e.ts']], ['f.ts', ['a.ts']],
  ]);
  assert.deepEqual(importCycles(graph), [['a.ts', 'b.ts', 'c.ts', 'a.ts'], ['e.ts', 'e.ts']]);
  assert.deepEqual(importCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
});
