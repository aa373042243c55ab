// The module's strict JSON reader (assembly/config/json.ts, which reads the policy configuration and the
// token endpoint's answer, both from outside) against V8's JSON.parse on random and mutated documents: it
// accepts exactly what RFC 8259 accepts — except the \f escape and values nested deeper than 64, which it
// refuses on purpose — and never traps, whatever the bytes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadHarness, type Harness } from './harness/load.ts';

let h: Harness;
before(async () => {
  h = await loadHarness();
});

/** Nesting depth of a parsed value: 0 for a scalar, 1 + the deepest child for an array or object. */
function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return 1 + children.reduce((m: number, c) => Math.max(m, depth(c)), 0);
}

/** V8's verdict, or null where the module refuses by design (a \f escape, nesting past 64). */
function oracle(bytes: Buffer): boolean | null {
  const text = new TextDecoder().decode(bytes); // ill-formed UTF-8 becomes U+FFFD, as inside a string the reader copies it
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (/\\f/.test(text) || depth(v) > 64) return null;
  return true;
}

function agree(bytes: Buffer): void {
  const want = oracle(bytes);
  const got = h.jsonWellFormed(bytes);
  if (want !== null) assert.equal(got, want, `reader ${got ? 'accepts' : 'refuses'} ${JSON.stringify(bytes.toString('latin1'))}`);
}

const json = fc.json({ depthSize: 'medium' }).map((s) => Buffer.from(s));
// One edit of a valid document: a byte deleted, replaced or inserted (the bytes that matter to JSON are likelier).
const interesting = fc.constantFrom(...'{}[]",:.-+eE0123456789 \t\n\r\\/ubfnrtx\u0000\u001f\u007f'.split('').map((c) => c.charCodeAt(0)), 0xc3, 0xff);
const mutated = fc.tuple(json, fc.nat(), fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), fc.constantFrom('delete', 'replace', 'insert')).map(([doc, at, byte, op]) => {
  const i = doc.length === 0 ? 0 : at % (doc.length + (op === 'insert' ? 1 : 0));
  if (op === 'delete') return Buffer.concat([doc.subarray(0, i), doc.subarray(i + 1)]);
  if (op === 'replace') return Buffer.concat([doc.subarray(0, i), Buffer.from([byte]), doc.subarray(i + 1)]);
  return Buffer.concat([doc.subarray(0, i), Buffer.from([byte]), doc.subarray(i)]);
});
const short = fc.array(interesting, { maxLength: 12 }).map((a) => Buffer.from(a));

test('the reader accepts every document JSON.parse accepts (random JSON, with whitespace around)', () => {
  fc.assert(fc.property(json, fc.constantFrom('', ' ', '\n\t', '\r\n '), (doc, ws) => agree(Buffer.concat([Buffer.from(ws), doc, Buffer.from(ws)]))), { numRuns: 2000 });
});

test('one edit of a valid document: the reader and JSON.parse agree, and nothing traps', () => {
  fc.assert(fc.property(mutated, agree), { numRuns: 5000 });
});

test('short runs of the bytes JSON is made of: the reader and JSON.parse agree', () => {
  fc.assert(fc.property(short, agree), { numRuns: 5000 });
});

test('the deliberate refusals: \\f, nesting past 64, and the edges around them', () => {
  assert.equal(h.jsonWellFormed(Buffer.from('"\\f"')), false);
  assert.equal(h.jsonWellFormed(Buffer.from('"\\\\f"')), true); // an escaped backslash, then f
  assert.equal(h.jsonWellFormed(Buffer.from('"\\u000c"')), true);
  // A value inside 64 containers is read, inside 65 refused (an empty innermost container holds no value).
  assert.equal(h.jsonWellFormed(Buffer.from('['.repeat(64) + '1' + ']'.repeat(64))), true);
  assert.equal(h.jsonWellFormed(Buffer.from('['.repeat(65) + '1' + ']'.repeat(65))), false);
  assert.equal(h.jsonWellFormed(Buffer.from('['.repeat(66) + ']'.repeat(66))), false);
  assert.equal(h.jsonWellFormed(Buffer.from('{"a":'.repeat(64) + '1' + '}'.repeat(64))), true);
  assert.equal(h.jsonWellFormed(Buffer.from('['.repeat(100000))), false);
  assert.equal(h.jsonWellFormed(Buffer.alloc(0)), false);
  assert.equal(h.jsonWellFormed(Buffer.from(' \n ')), false);
  // The oracle can fail: it tells these apart.
  assert.equal(oracle(Buffer.from('[1,]')), false);
  assert.equal(oracle(Buffer.from('[1]')), true);
});
