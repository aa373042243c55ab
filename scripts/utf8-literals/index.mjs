// AssemblyScript transform: msg("literal") and utf8("literal") (imported from assembly/literals) become offsets into
// one UTF-8 blob (assembly/literals.ts LITERALS): msg -> __msg(offset, length), a string decoded when
// used; utf8 -> __utf8(offset), the address of a length byte followed by the bytes, used as they are.
//
// Why: an AssemblyScript string literal is UTF-16 with a 20-byte header in two data segments, so each of
// the ~240 operator messages and names and ~60 wire-format fragments cost ~60 bytes; in one UTF-8 segment they
// cost their length, and hot-path fragments are copied with memory.copy instead of being narrowed from
// UTF-16 character by character. README "Module size".
import { Transform } from "assemblyscript/transform";
import { Node, NodeKind, LiteralKind, Token } from "assemblyscript";

const BLOB_SOURCE = "assembly/literals.ts";
const BLOB_NAME = "LITERALS";

// A node's children: every property holding a node or an array of nodes (ranges point back at their
// source, so they are skipped).
function* children(node) {
  for (const key in node) {
    if (key === "range") continue;
    const v = node[key];
    if (Array.isArray(v)) { for (const x of v) if (x && typeof x === "object" && typeof x.kind === "number") yield x; }
    else if (v && typeof v === "object" && typeof v.kind === "number" && v.range) yield v;
  }
}

function walk(node, visit) {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop();
    visit(n);
    for (const c of children(n)) stack.push(c);
  }
}

/** The source's local names for msg and utf8 imported from assembly/literals (name -> "msg" | "utf8"). */
function importedNames(source) {
  const names = new Map();
  for (const s of source.statements) {
    if (s.kind !== NodeKind.Import || s.declarations === null || !/(^|\/)literals$/.test(s.path.value)) continue;
    for (const d of s.declarations) {
      const foreign = d.foreignName.text;
      if (foreign === "msg" || foreign === "utf8") names.set(d.name.text, foreign);
    }
  }
  return names;
}

/** The text of a string literal, or of literals joined by + (a long list over several lines); else null. */
function literalText(n) {
  if (n.kind === NodeKind.Literal && n.literalKind === LiteralKind.String) return n.value;
  if (n.kind === NodeKind.Binary && n.operator === Token.Plus) {
    const left = literalText(n.left);
    const right = left === null ? null : literalText(n.right);
    return right === null ? null : left + right;
  }
  return null;
}

/** [kind, text] when `n` calls msg or utf8 (by its local name) with literal text, else null. */
function literalCall(n, names) {
  if (n.kind !== NodeKind.Call || n.expression.kind !== NodeKind.Identifier) return null;
  const kind = names.get(n.expression.text);
  if (kind === undefined || n.args.length !== 1) return null;
  const text = literalText(n.args[0]);
  return text === null ? null : [kind, text];
}

const int = (v, range) => Node.createIntegerLiteralExpression(i64_new(v, 0), range);

export default class Utf8Literals extends Transform {
  afterParse(parser) {
    const calls = []; // [node, kind, text]
    let blob = null;
    for (const source of parser.sources) {
      const path = source.normalizedPath;
      if (path.startsWith("~lib/")) continue;
      const names = importedNames(source);
      const isBlobSource = path.endsWith(BLOB_SOURCE);
      if (names.size === 0 && !isBlobSource) continue;
      for (const statement of source.statements) {
        walk(statement, (n) => {
          if (isBlobSource && n.kind === NodeKind.VariableDeclaration && n.name.text === BLOB_NAME) blob = n;
          const call = literalCall(n, names);
          if (call === null) return;
          const [kind, text] = call;
          if (kind === "utf8" && Buffer.byteLength(text) > 255) throw new Error(`utf8-literals: ${path}: utf8() literal longer than 255 bytes`);
          calls.push([n, kind, text]);
        });
      }
    }
    if (calls.length === 0) return;
    if (blob === null) throw new Error(`utf8-literals: ${BLOB_NAME} not found in ${BLOB_SOURCE}`);

    // Lay out the blob: utf8() literals as a length byte and the bytes; then each message, longest first,
    // stored once — a message that already occurs in the blob (a word of a longer one) points into it.
    let bytes = Buffer.alloc(0);
    const offsets = new Map(); // kind + text -> offset
    const distinct = [...new Map(calls.map(([, kind, text]) => [kind + text, [kind, text]])).values()];
    const utf8s = distinct.filter(([kind]) => kind === "utf8");
    const msgs = distinct.filter(([kind]) => kind === "msg")
      .sort((a, b) => Buffer.byteLength(b[1]) - Buffer.byteLength(a[1]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (const [kind, text] of utf8s) {
      const encoded = Buffer.from(text, "utf8");
      offsets.set(kind + text, bytes.length);
      bytes = Buffer.concat([bytes, Buffer.from([encoded.length]), encoded]);
    }
    for (const [kind, text] of msgs) {
      const encoded = Buffer.from(text, "utf8");
      const at = encoded.length === 0 ? 0 : bytes.indexOf(encoded);
      if (at >= 0) { offsets.set(kind + text, at); continue; }
      offsets.set(kind + text, bytes.length);
      bytes = Buffer.concat([bytes, encoded]);
    }
    for (const [n, kind, text] of calls) {
      const range = n.range;
      const offset = offsets.get(kind + text);
      n.expression = Node.createIdentifierExpression(kind === "msg" ? "__msg" : "__utf8", range);
      n.args = kind === "msg" ? [int(offset, range), int(Buffer.byteLength(text), range)] : [int(offset, range)];
    }
    // const LITERALS = memory.data<u8>([0]): the transform replaces the array's elements.
    const range = blob.range;
    blob.initializer.args[0].elementExpressions = [...bytes].map((b) => int(b, range));
  }
}
