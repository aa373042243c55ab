// AssemblyScript transform: every msg("literal") in the policy's sources becomes __msg(offset, length) into one
// UTF-8 blob (assembly/msg.ts MSG_BLOB), decoded to a string only when the message is used.
//
// Why: an AssemblyScript string literal is UTF-16 with a 20-byte header in two data segments, so the
// ~300 operator messages (config errors, log lines, metric names: cold paths) cost ~60 bytes each;
// as UTF-8 in one segment they cost their length. Hot-path literals stay plain strings. Without this
// transform msg(s) returns s, so the module still works (only bigger). README "Module size".
import { Transform } from "assemblyscript/transform";
import { Node, NodeKind, LiteralKind } from "assemblyscript";

const BLOB_SOURCE = "assembly/msg";
const BLOB_NAME = "MSG_BLOB";

// Each node's children: every property holding a node or an array of nodes (ranges point back at
// their source, so they are skipped).
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

function isMsgCall(n) {
  return n.kind === NodeKind.Call && n.expression.kind === NodeKind.Identifier && n.expression.text === "msg" &&
    n.args.length === 1 && n.args[0].kind === NodeKind.Literal && n.args[0].literalKind === LiteralKind.String;
}

export default class Utf8Messages extends Transform {
  afterParse(parser) {
    const offsets = new Map();
    const bytes = [];
    let blob = null;
    for (const source of parser.sources) {
      const path = source.normalizedPath;
      if (path.startsWith("~lib/")) continue;
      for (const statement of source.statements) {
        walk(statement, (n) => {
          if (path.endsWith(BLOB_SOURCE + ".ts") && n.kind === NodeKind.VariableDeclaration && n.name.text === BLOB_NAME) blob = n;
          if (!isMsgCall(n)) return;
          const text = n.args[0].value;
          let offset = offsets.get(text);
          const encoded = Buffer.from(text, "utf8");
          if (offset === undefined) {
            offset = bytes.length;
            offsets.set(text, offset);
            for (const b of encoded) bytes.push(b);
          }
          const range = n.range;
          n.expression = Node.createIdentifierExpression("__msg", range);
          n.args = [
            Node.createIntegerLiteralExpression(i64_new(offset, 0), range),
            Node.createIntegerLiteralExpression(i64_new(encoded.length, 0), range),
          ];
        });
      }
    }
    if (offsets.size === 0) return;
    if (blob === null) throw new Error(`utf8-messages: ${BLOB_NAME} not found in ${BLOB_SOURCE}.ts`);
    // const MSG_BLOB = memory.data<u8>([]): the transform fills the array.
    const range = blob.range;
    blob.initializer.args[0].elementExpressions = bytes.map((b) => Node.createIntegerLiteralExpression(i64_new(b, 0), range));
  }
}
