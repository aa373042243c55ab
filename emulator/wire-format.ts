// Cequence's wire format read from Node: validates a posted batch (schema/batch.schema.json with ajv,
// then what a schema cannot say: every base64 decodes canonically, every body's data decodes to its
// `length` bytes) and decodes a transaction's headers and bodies back to bytes. The mock Edge accepts
// only what `batchProblem` passes; the tests and the demo read transactions through `decode…` here.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const Ajv = ((AjvModule as any).default ?? AjvModule) as typeof AjvModule.default;

export const transactionSchema = JSON.parse(readFileSync(join(root, 'schema', 'transaction.schema.json'), 'utf8'));
export const batchSchema = JSON.parse(readFileSync(join(root, 'schema', 'batch.schema.json'), 'utf8'));

const ajv = new Ajv({ allErrors: true, strict: true, strictTuples: false });
ajv.addSchema(transactionSchema);
ajv.addSchema(batchSchema);

export const validateTransaction = ajv.getSchema(transactionSchema.$id)!;
export const validateBatch = ajv.getSchema(batchSchema.$id)!;

/** The truncation marker: a header entry on the side whose body was cut. */
export const TRUNCATED_ENTRY = 'cq-body-truncated:' + Buffer.from('true').toString('base64');

export interface HeaderEntry {
  name: string;
  value: Buffer;
}

/** Strict base64: the text must be exactly what encoding its bytes gives back (no stray padding). */
function canonicalBase64(text: string): Buffer | undefined {
  const b = Buffer.from(text, 'base64');
  return b.toString('base64') === text ? b : undefined;
}

function ajvReason(errors: typeof validateTransaction.errors): string {
  const e = errors?.[0];
  if (!e) return 'does not match the schema';
  const where = e.instancePath || '(top level)';
  const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
  return `${where} ${e.message}${extra}`;
}

/** Why one transaction is not in Cequence's format (undefined when it is). `at` prefixes the reason. */
export function transactionProblem(t: unknown, at = ''): string | undefined {
  if (!validateTransaction(t)) return `${at}${ajvReason(validateTransaction.errors)}`;
  const tx = t as any;
  for (const side of ['request', 'response'] as const) {
    for (const [i, h] of (tx[side].headers as string[]).entries()) {
      const colon = h.indexOf(':');
      if (canonicalBase64(h.slice(colon + 1)) === undefined) return `${at}/${side}/headers/${i} value is not canonical base64`;
    }
    const body = tx[side].body;
    const bytes = canonicalBase64(body.data);
    if (bytes === undefined) return `${at}/${side}/body/data is not canonical base64`;
    if (bytes.length !== body.length) return `${at}/${side}/body/data decodes to ${bytes.length} bytes, length says ${body.length}`;
  }
  return undefined;
}

/** Why a posted batch document is not in Cequence's format (undefined when it is). */
export function batchProblem(doc: unknown): string | undefined {
  if (Array.isArray(doc)) return 'a batch is {"data": [transactions]}, not a bare array';
  if (doc === null || typeof doc !== 'object') return 'a batch is {"data": [transactions]}';
  const data = (doc as any).data;
  if (!Array.isArray(data)) return 'a batch is {"data": [transactions]}: data is missing or not an array';
  if (!validateBatch(doc)) {
    // Name the transaction and field rather than ajv's whole tree.
    for (const [i, t] of data.entries()) {
      const p = transactionProblem(t, `/data/${i}`);
      if (p) return p;
    }
    return ajvReason(validateBatch.errors);
  }
  for (const [i, t] of data.entries()) {
    const p = transactionProblem(t, `/data/${i}`);
    if (p) return p;
  }
  return undefined;
}

/** Throws with the reason when `value` is not a valid transaction. */
export function assertTransaction(value: unknown): void {
  const p = transactionProblem(value);
  if (p) throw new Error('transaction is not in Cequence\'s format: ' + p + '\n' + JSON.stringify(value).slice(0, 2000));
}

/** Throws with the reason when `value` is not a valid batch document. */
export function assertBatch(value: unknown): void {
  const p = batchProblem(value);
  if (p) throw new Error('batch is not in Cequence\'s format: ' + p);
}

/** One side's headers decoded: name and value bytes, in wire order (the truncation marker included). */
export function decodeHeaders(side: any): HeaderEntry[] {
  return (side.headers as string[]).map((h) => {
    const colon = h.indexOf(':');
    return { name: h.slice(0, colon), value: Buffer.from(h.slice(colon + 1), 'base64') };
  });
}

/** The values of every header named `name` on one side, as text. */
export function headerValues(side: any, name: string): string[] {
  return decodeHeaders(side).filter((h) => h.name === name).map((h) => h.value.toString('utf8'));
}

/** One side's regular headers (the truncation marker left out). */
export function regularHeaders(side: any): HeaderEntry[] {
  const all = decodeHeaders(side);
  return isTruncated(side) ? all.slice(0, -1) : all;
}

/** The body bytes one side carries. */
export function decodeBody(side: any): Buffer {
  return Buffer.from(side.body.data, 'base64');
}

/** True when that side's body was cut: its last header entry is the marker. */
export function isTruncated(side: any): boolean {
  const hs = side.headers as string[];
  return hs.length > 0 && hs[hs.length - 1] === TRUNCATED_ENTRY;
}
