// Edits a deployed conf.d the way an operator changes a running Flex Gateway: one YAML file rewritten
// and renamed into place (what `docker cp` lands), so a watching gateway sees one complete change.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/** Rewrite one conf.d YAML file: `edit` changes its parsed documents in place; the new text is written
 *  beside the folder and renamed over the old file (atomic, never half-written). */
export function editConfFile(dir: string, file: string, edit: (docs: any[]) => void): void {
  const p = path.join(dir, file);
  const docs = parseAllDocuments(readFileSync(p, 'utf8')).map((d) => d.toJS());
  edit(docs);
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}-${file}.tmp`);
  writeFileSync(tmp, docs.map((d) => stringify(d)).join('---\n'));
  renameSync(tmp, p);
}

/** The PolicyBinding's spec.config in a parsed cequence_binding.yaml (edit it in place). */
export function bindingConfig(docs: any[]): Record<string, unknown> {
  const b = docs.find((d) => d?.kind === 'PolicyBinding');
  if (!b) throw new Error('no kind: PolicyBinding in this file');
  return (b.spec.config ??= {});
}

/** Change the binding's spec.config in `dir`'s cequence_binding.yaml (fields merged over the current ones). */
export function editBindingConfig(dir: string, fields: Record<string, unknown>): void {
  editConfFile(dir, 'cequence_binding.yaml', (docs) => Object.assign(bindingConfig(docs), fields));
}
