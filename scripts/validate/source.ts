// Input files with source positions: every YAML/JSON document keeps its LineCounter so a finding can
// name file:line:column of the exact key or value it is about.
import { readFileSync } from "node:fs";
import { LineCounter, parseAllDocuments, isMap, isPair, isScalar, isNode, visit, type Document, type Node } from "yaml";

export type Severity = "error" | "warning" | "info";

export interface Finding {
  severity: Severity;
  /** Stable identifier of the check, for pipelines (e.g. "namespace-mismatch"). */
  code: string;
  file: string;
  line: number;
  column: number;
  message: string;
  fix: string;
}

export interface Position { line: number; column: number }

export class Source {
  readonly lineCounter = new LineCounter();
  readonly text: string;
  constructor(readonly path: string, readonly display: string, text?: string) {
    this.text = text ?? readFileSync(path, "utf8");
  }
  /** For files read as plain text (docker run commands): register the line starts ourselves. */
  indexLines(): this {
    this.lineCounter.addNewLine(0);
    for (let i = 0; i < this.text.length; i++) if (this.text[i] === "\n") this.lineCounter.addNewLine(i + 1);
    return this;
  }
  pos(offset: number | undefined): Position {
    if (offset === undefined) return { line: 1, column: 1 };
    // LineCounter only knows the lines it saw while parsing; text files (docker run) fill it themselves.
    const p = this.lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  }
}

/** One parsed YAML (or JSON) document of a file, with helpers to find a node and its position. */
export class Doc {
  readonly js: any;
  constructor(readonly src: Source, readonly doc: Document.Parsed, readonly index: number) {
    this.js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  }
  node(path: readonly (string | number)[]): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node) ?? undefined;
    const n = this.doc.getIn(path, true);
    return isNode(n) ? n : undefined;
  }
  /** The key node of path's last segment in its parent map (for "unknown field" findings). */
  key(path: readonly (string | number)[]): Node | undefined {
    const parent = this.node(path.slice(0, -1));
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
    return pair && isNode(pair.key) ? pair.key : undefined;
  }
  /** Position of the value at path, else its key, else the nearest existing ancestor. */
  at(path: readonly (string | number)[]): Position {
    for (let i = path.length; i >= 0; i--) {
      const p = path.slice(0, i);
      const n = this.node(p) ?? (i > 0 ? this.key(p) : undefined);
      if (n?.range) return this.src.pos(n.range[0]);
    }
    return this.src.pos((this.doc.contents as Node | null)?.range?.[0]);
  }
  keyAt(path: readonly (string | number)[]): Position {
    const k = this.key(path);
    return k?.range ? this.src.pos(k.range[0]) : this.at(path);
  }
}

export interface ParsedFile { src: Source; docs: Doc[]; errors: { message: string; code: string; pos: Position }[]; warnings: { message: string; code: string; pos: Position }[] }

/** The most aliases one document may expand (a "billion laughs" file is refused, not expanded). */
export const MAX_ALIAS_COUNT = 100;
/** Warnings kept per file: a file of thousands of odd scalars must not flood the report. */
const MAX_WARNINGS = 20;

/**
 * Where `text` stops being text: the offset of the first NUL or invalid UTF-8 sequence (decoded as
 * U+FFFD), or -1. A wasm module, an image or random bytes in place of a YAML file is one finding there.
 */
export function binaryOffset(text: string): number {
  const nul = text.indexOf("\0");
  const bad = text.indexOf("\uFFFD");
  if (nul < 0) return bad;
  return bad < 0 ? nul : Math.min(nul, bad);
}

/**
 * Parses every document of a YAML (or JSON) file. Never throws: a syntax error is reported once per file
 * (the first error is the cause, later ones follow from it), and a document whose aliases expand beyond
 * MAX_ALIAS_COUNT (an alias bomb) is one error at that document instead of an exception.
 */
export function parseYamlFile(src: Source): ParsedFile {
  const out: ParsedFile = { src, docs: [], errors: [], warnings: [] };
  let all: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(src.text, { lineCounter: src.lineCounter, prettyErrors: false, uniqueKeys: true });
    if (!Array.isArray(parsed)) {
      const e = parsed.errors[0];
      if (e) out.errors.push({ message: e.message.split("\n")[0], code: e.code, pos: src.pos(e.pos[0]) });
      return out;
    }
    all = parsed;
  } catch (e) {
    out.errors.push({ message: String((e as Error)?.message ?? e).split("\n")[0], code: "PARSER", pos: { line: 1, column: 1 } });
    return out;
  }
  all.forEach((d, i) => {
    if (d.errors.length > 0) {
      if (out.errors.length === 0) out.errors.push({ message: d.errors[0].message.split("\n")[0], code: d.errors[0].code, pos: src.pos(d.errors[0].pos[0]) });
      return;
    }
    for (const w of d.warnings) {
      if (out.warnings.length < MAX_WARNINGS) out.warnings.push({ message: w.message.split("\n")[0], code: w.code, pos: src.pos(w.pos[0]) });
    }
    if (d.contents === null) return;
    try {
      out.docs.push(new Doc(src, d, i));
    } catch (e) {
      // yaml's toJS refuses to expand more than maxAliasCount aliases ("Excessive alias count ...").
      const first = firstAlias(d);
      out.errors.push({
        message: `document ${i + 1} uses more aliases than a configuration needs (${String((e as Error)?.message ?? e).split("\n")[0]})`,
        code: "ALIAS_COUNT",
        pos: src.pos(first ?? (d.contents as Node | null)?.range?.[0]),
      });
    }
  });
  return out;
}

function firstAlias(d: Document.Parsed): number | undefined {
  let at: number | undefined;
  visit(d, { Alias(_k, node) { if (node.range) { at = node.range[0]; return visit.BREAK; } } });
  return at;
}
