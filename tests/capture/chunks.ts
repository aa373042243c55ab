// Loads schema/transaction.schema.json and schema/batch.schema.json into one ajv (draft-07) instance.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const Ajv = ((AjvModule as any).default ?? AjvModule) as typeof AjvModule.default;

export const transactionSchema = JSON.parse(readFileSync(join(root, 'schema', 'transaction.schema.json'), 'utf8'));
export const batchSchema = JSON.parse(readFileSync(join(root, 'schema', 'batch.schema.json'), 'utf8'));

const ajv = new Ajv({ allErrors: true, strict: true, strictTuples: false });
ajv.addSchema(transactionSchema);
ajv.addSchema(batchSchema);

export const validateTransaction = ajv.getSchema(transactionSchema.$id)!;
export const validateBatch = ajv.getSchema(batchSchema.$id)!;

/** Throws with ajv's errors when `value` is not a valid transaction. */
export function assertTransaction(value: unknown): void {
  if (!validateTransaction(value)) {
    throw new Error('transaction does not match the schema: ' + JSON.stringify(validateTransaction.errors, null, 1) + '\n' + JSON.stringify(value).slice(0, 2000));
  }
}

export function assertBatch(value: unknown): void {
  if (!validateBatch(value)) {
    throw new Error('batch does not match the schema: ' + JSON.stringify(validateBatch.errors, null, 1));
  }
}

/** Decodes one side's body back to bytes (base64 or UTF-8 text, as its body-encoding says). */
export function bodyBytes(side: any): Buffer {
  return side['body-encoding'] === 'base64' ? Buffer.from(side.body, 'base64') : Buffer.from(side.body, 'utf8');
}

/** One header entry's value bytes. */
export function headerValueBytes(h: any): Buffer {
  return h['value-encoding'] === 'base64' ? Buffer.from(h.value, 'base64') : Buffer.from(h.value, 'utf8');
}

export function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Splits a body at the given cut points (taken modulo its length + 1): the chunking a proxy might deliver. */
export function splitAt(b: Buffer, points: number[]): Buffer[] {
  if (b.length === 0) return [];
  const at = [...new Set(points.map((p) => p % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, b.length]) {
    if (p > prev) out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}
