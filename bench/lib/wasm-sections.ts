// Minimal wasm binary reader for bench:size: section sizes, imported function count, code body sizes.

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];

function leb(buf: Buffer, off: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[off++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [result, off];
  }
}

export interface Parsed {
  sections: { name: string; size: number }[];
  importedFuncs: number;
  bodies: number[];
}

export function parseWasm(wasm: Buffer): Parsed {
  const sections: { name: string; size: number }[] = [];
  let importedFuncs = 0;
  const bodies: number[] = [];
  let off = 8;
  while (off < wasm.length) {
    const id = wasm[off];
    const [size, start] = leb(wasm, off + 1);
    let name = SECTION_NAMES[id] ?? `id ${id}`;
    if (id === 0) {
      const [nl, no] = leb(wasm, start);
      name = `custom "${wasm.subarray(no, no + nl).toString()}"`;
    }
    sections.push({ name, size: start - off + size });
    if (id === 2) {
      let [n, p] = leb(wasm, start);
      for (let i = 0; i < n; i++) {
        let l: number;
        [l, p] = leb(wasm, p); p += l; // module
        [l, p] = leb(wasm, p); p += l; // name
        const kind = wasm[p++];
        if (kind === 0) { importedFuncs++; [, p] = leb(wasm, p); }
        else if (kind === 1) { p += 1; const flags = wasm[p++]; [, p] = leb(wasm, p); if (flags & 1) [, p] = leb(wasm, p); }
        else if (kind === 2) { const flags = wasm[p++]; [, p] = leb(wasm, p); if (flags & 1) [, p] = leb(wasm, p); }
        else if (kind === 3) { p += 2; }
      }
    }
    if (id === 10) {
      let [n, p] = leb(wasm, start);
      for (let i = 0; i < n; i++) {
        const [bs, q] = leb(wasm, p);
        bodies.push(q - p + bs);
        p = q + bs;
      }
    }
    off = start + size;
  }
  return { sections, importedFuncs, bodies };
}

