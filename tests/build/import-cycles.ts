// Finds import circles among the source files of some folders: every relative import counts, a
// type-only one too (a circle of types still ties the files together), and so does `export … from`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SOURCE = /\.(ts|mts|js|mjs)$/;
// Static imports and re-exports, at the start of a line (so not in a comment); the clause may span lines.
const STATIC = /^[ \t]*(?:import|export)(?:[ \t]+type)?[ \t]*(?:[\w$*{}\s,]*?\bfrom[ \t]*)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The module specifiers a source text imports, in order of appearance. */
export function importSpecifiers(text: string): string[] {
  const found: { at: number; spec: string }[] = [];
  for (const m of text.matchAll(STATIC)) found.push({ at: m.index!, spec: m[1] });
  for (const m of text.matchAll(DYNAMIC)) found.push({ at: m.index!, spec: m[1] });
  return found.sort((a, b) => a.at - b.at).map((f) => f.spec);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names: as written, or with `.ts` (AssemblyScript, `.js` for `.ts`), or its index. */
function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base, base + '.ts', base.replace(/\.js$/, '.ts'), path.join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** File -> the files of the same folders it imports (paths relative to `root`). */
export function importGraph(root: string, folders: string[]): Map<string, string[]> {
  const files = folders.flatMap((f) => sourceFiles(path.join(root, f)));
  const inScope = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importSpecifiers(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('./') || s.startsWith('../'))
      .map((s) => resolve(file, s))
      .filter((t): t is string => t !== undefined && inScope.has(t));
    graph.set(path.relative(root, file), [...new Set(targets)].map((t) => path.relative(root, t)));
  }
  return graph;
}

/**
 * The circles of a graph: each set of files that reach one another (Tarjan's strongly connected
 * components, a file importing itself included), as one path round it, e.g. [a, b, c, a].
 */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cyclePath(graph, new Set(c)));
}

/** One shortest path from the component's first file (by name) back to itself, through the component only. */
function cyclePath(graph: Map<string, string[]>, members: Set<string>): string[] {
  const start = [...members].sort()[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const route = [start];
        for (let u = v; u !== start; u = previous.get(u)!) route.unshift(u);
        return [start, ...route];
      }
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...members, start];
}
