// bench:size — the release module's size against the 64 KB target and the 1 MiB ConfigMap limit,
// the no-op filter's size, and where the bytes go (sections; code by source area, from the build's
// text file build/cequence_policy.wat when it belongs to the same build).
//
//   npm run bench:size
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseWasm as parse } from './lib/wasm-sections.ts';
import { codeArea, fmt, fmtBytes, machineFacts, mdTable, noopWasm, policyWasm, policyWasmPath, displayPath, report, ROOT } from './lib/common.ts';

const TARGET = 64 * 1024;
const CONFIGMAP_LIMIT = 1024 * 1024; // Kubernetes: a ConfigMap's data may not exceed 1 MiB

/** Defined function names, in order, from the build's .wat (only valid for the same build). */
function watNames(wat: string): string[] {
  const names: string[] = [];
  for (const line of wat.split('\n')) {
    const m = /^ \(func \$(\S+)/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

async function main(): Promise<void> {
  const wasm = policyWasm();
  const noop = noopWasm();
  const p = parse(wasm);
  // The bundle files and the .wat of the same build: beside the module (policies-k8s/ or build/).
  const base = ['policies-k8s', 'build'].includes(path.basename(path.dirname(policyWasmPath()))) ? path.dirname(path.dirname(policyWasmPath())) : ROOT;
  const cmPath = path.join(base, 'policies-k8s', 'cequence-wasm-configmap.yaml');
  const dockerImpl = path.join(base, 'policies-docker-linux', 'cequence_implementation.yaml');
  const b64 = Math.ceil(wasm.length / 3) * 4;

  const rows: (string | number)[][] = [
    ['policy (release)', wasm.length.toLocaleString('en-US'), fmtBytes(wasm.length), fmt(wasm.length / TARGET) + '× of 64 KiB', wasm.length <= TARGET ? 'met' : '**not met**'],
    ['policy, gzip -9', gzipSync(wasm, { level: 9 }).length.toLocaleString('en-US'), fmtBytes(gzipSync(wasm, { level: 9 }).length), '', ''],
    ['no-op filter (same SDK, flags)', noop.length.toLocaleString('en-US'), fmtBytes(noop.length), fmt(noop.length / TARGET) + '× of 64 KiB', ''],
    ['policy base64 (ConfigMap binaryData, base64:// implementation)', b64.toLocaleString('en-US'), fmtBytes(b64), fmt((100 * b64) / CONFIGMAP_LIMIT, 1) + ' % of 1 MiB', b64 <= CONFIGMAP_LIMIT ? 'fits' : '**too big**'],
  ];
  for (const f of [cmPath, dockerImpl]) {
    if (!existsSync(f)) continue;
    const n = readFileSync(f).length;
    rows.push([path.relative(base, f), n.toLocaleString('en-US'), fmtBytes(n), fmt((100 * n) / CONFIGMAP_LIMIT, 1) + ' % of 1 MiB', n <= CONFIGMAP_LIMIT ? 'fits' : '**too big**']);
  }

  const secRows = p.sections.map((s) => [s.name, s.size.toLocaleString('en-US'), fmt((100 * s.size) / wasm.length, 1) + ' %']);

  let areaTable = '';
  let topTable = '';
  const watPath = path.join(base, 'build', 'cequence_policy.wat');
  const builtWasm = path.join(base, 'build', 'cequence_policy.wasm');
  const sameBuild = (w: string, b: string) => existsSync(w) && existsSync(b) && readFileSync(b).equals(wasm);
  const candidates: [string, string][] = [
    [policyWasmPath().replace(/\.wasm$/, '.wat'), policyWasmPath()],
    [watPath, builtWasm],
  ];
  const found = candidates.find(([w, b]) => sameBuild(w, b));
  if (found) {
    const names = watNames(readFileSync(found[0], 'utf8'));
    if (names.length === p.bodies.length) {
      const byArea = new Map<string, { bytes: number; funcs: number }>();
      names.forEach((n, i) => {
        const a = codeArea(n, false);
        const e = byArea.get(a) ?? { bytes: 0, funcs: 0 };
        e.bytes += p.bodies[i];
        e.funcs++;
        byArea.set(a, e);
      });
      const codeTotal = p.bodies.reduce((a, b) => a + b, 0);
      areaTable = mdTable(['source area', 'functions', 'code bytes', 'share of code'],
        [...byArea].sort((a, b) => b[1].bytes - a[1].bytes).map(([a, e]) => [a, e.funcs, e.bytes.toLocaleString('en-US'), fmt((100 * e.bytes) / codeTotal, 1) + ' %']));
      const top = names.map((n, i) => ({ n, s: p.bodies[i] })).sort((a, b) => b.s - a.s).slice(0, 15);
      topTable = mdTable(['largest functions', 'bytes'], top.map((t) => [`\`${t.n}\``, t.s.toLocaleString('en-US')]));
    }
  }

  const md = `## bench:size — release module size

Command: \`npm run bench:size\` · ${machineFacts()}
Policy module: \`${path.relative(ROOT, policyWasmPath())}\` (${p.bodies.length} functions, ${p.importedFuncs} imported).

${mdTable(['artifact', 'bytes', 'size', 'against', 'target'], rows)}

Sections:

${mdTable(['section', 'bytes', 'share'], secRows)}
${areaTable ? `\nCode by source area (function names from the same build's \`.wat\`):\n\n${areaTable}\n\n${topTable}\n` : '\n(no matching .wat for a per-area breakdown: run `npm run build`)\n'}`;
  report('size', md, { bytes: wasm.length, noop: noop.length, base64: b64, sections: p.sections, target: TARGET });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
