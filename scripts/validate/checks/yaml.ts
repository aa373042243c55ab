// YAML and JSON files: text that is not text, syntax errors, alias bombs and warnings, and the same
// resource defined twice.
import { basename } from "node:path";
import { binaryOffset, parseYamlFile, type Doc, type Source } from "../source.ts";
import { describe, nameOf, nsOf, where, type Add, type At } from "./context.ts";

/** The documents of a YAML/JSON file (`ext` its extension), reporting why there are none or fewer. */
export function yamlDocs(src: Source, ext: string, add: Add): Doc[] {
  const file = src.path, display = src.display, text = src.text;
  const bin = binaryOffset(text);
  if (bin >= 0) {
    add("error", "not-text", display, src.indexLines().pos(bin),
      `${basename(file)} is not a text file (${text[bin] === "\0" ? "a NUL byte" : "bytes that are not UTF-8"} here): ${ext === ".json" ? "JSON" : "YAML"} expected`,
      "put the YAML (or JSON) resource in this file; a binary (e.g. cequence_policy.wasm) belongs in its own .wasm file or in the ConfigMap manifest");
    return [];
  }
  const parsed = parseYamlFile(src);
  for (const e of parsed.errors) {
    if (e.code === "ALIAS_COUNT") {
      add("error", "yaml-aliases", display, e.pos, `YAML refused: ${e.message}`, "write the values out instead of through anchors and aliases (*name); a configuration file needs few, if any");
      continue;
    }
    add("error", "yaml-parse", display, e.pos, `${ext === ".json" ? "JSON" : "YAML"} does not parse: ${e.message}`,
      "fix the syntax at or just after this line (indentation with spaces only, a space after each ':' and '-', brackets and quotes closed); yamllint <file> shows the details");
  }
  for (const w of parsed.warnings) add("warning", "yaml-warning", display, w.pos, `YAML: ${w.message}`, "rewrite the value so that it parses without ambiguity");
  return parsed.docs;
}

export function checkDuplicates(resources: Doc[], at: At) {
  const seen = new Map<string, Doc>();
  for (const d of resources) {
    const name = nameOf(d);
    if (!name) continue;
    const key = `${d.js.kind}\0${nsOf(d)}\0${name}`;
    const first = seen.get(key);
    if (!first) { seen.set(key, d); continue; }
    at("error", "duplicate-resource", d, ["metadata", "name"],
      `duplicate resource: ${describe(d)} is also defined at ${where(first, ["metadata", "name"])}; the gateway keeps only one of them, whichever it reads last`,
      "remove one copy (often an old file left beside the new one), or give them different names");
  }
}
