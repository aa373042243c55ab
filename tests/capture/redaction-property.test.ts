// Property test of the redaction controls through the serialiser (compiled on its own): random JSON
// bodies with listed keys at any depth, random header maps with listed names, random chunkings and
// body limits. No redacted value ever appears in the transaction (raw, JSON-escaped, or base64 at any
// alignment); a body that was whole, valid JSON stays valid JSON; everything else is carried exactly.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadHarness, type Harness, type Pair } from './harness/load.ts';
import { assertTransaction, decodeBody, decodeHeaders } from '../../emulator/wire-format.ts';
import { splitAt } from './chunks.ts';

let h: Harness;
const KEYS = ['password', 'cardNumber', 'ssn'];
const HEADERS = ['authorization', 'set-cookie', 'x-api-key'];
before(async () => {
  h = await loadHarness();
  assert.ok(h.controls({
    cequenceAuthUrl: 'https://a.example.com', cequenceEdgeUrl: 'https://e.example.com', cequenceAuthEnabled: false,
    cequenceRedactJsonFields: KEYS, cequenceRedactHeaders: ['Authorization', 'SET-COOKIE', 'x-api-key'],
  }));
});

// Secrets are distinctive (the marker + 8 random letters) so a leak can be searched for.
const secret = fc.stringMatching(/^[a-z]{8}$/).map((s) => `SECRET${s}`);
const plain = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.stringMatching(/^[a-z ]{0,12}$/));
// A JSON value tree; where a listed key appears its value holds a secret somewhere (string, number-ish
// string inside an array, nested object).
const secretValue = secret.chain((s) => fc.constantFrom<unknown>(s, [s, 1], { deep: { v: s } }, [{ x: [s] }]));
const tree: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    plain,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), tie('v'), { maxKeys: 3 }),
    fc.tuple(fc.constantFrom(...KEYS), secretValue, tie('v')).map(([k, sv, rest]) => ({ [k]: sv, other: rest })),
  ),
})).v;
const keyEscapes = fc.boolean(); // write listed keys with a \u escape (pass\u0077ord)

function secretsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string' && v.startsWith('SECRET')) out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => secretsIn(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => secretsIn(x, out));
  return out;
}

function forms(s: string): string[] {
  const out = [s, JSON.stringify(s).slice(1, -1)];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(s)]).toString('base64');
    out.push(b64.slice(Math.ceil((pad * 4) / 3) + 1, b64.length - 4));
  }
  return out;
}

const P = (n: string, v: string | Buffer): Pair => ({ name: Buffer.from(n), value: Buffer.from(v) });

test('no redacted value reaches the transaction, whatever the body, chunking, limit or headers', () => {
  fc.assert(
    fc.property(
      tree, keyEscapes, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 16, max: 600 }),
      fc.array(fc.tuple(fc.constantFrom(...HEADERS, 'Authorization', 'accept', 'x-other'), secret), { maxLength: 5 }),
      fc.constantFrom('application/json', 'application/vnd.api+json; charset=utf-8', null),
      (doc, escape, cuts, limit, hdrs, contentType) => {
        let text = JSON.stringify({ root: doc });
        if (escape) text = text.replaceAll('"password":', '"pass\\u0077ord":');
        const body = Buffer.from(text);
        h.reset(limit);
        const ct = contentType ? [P('content-type', contentType)] : [];
        const reqHeaders = hdrs.map(([n, v]) => P(n.toLowerCase(), v));
        h.requestHeaders([P(':method', 'POST'), P(':path', '/p'), ...ct, ...reqHeaders]);
        h.responseHeaders([P(':status', '200'), ...ct]);
        for (const c of splitAt(body, cuts)) h.requestChunk(c);
        for (const c of splitAt(body, cuts.map((x) => x * 7))) h.responseChunk(c);
        h.times(200, 1733045000123456789n);
        const out = h.serialize('0123456789abcdef0123456789abcdef');
        const t = JSON.parse(out.toString('utf8'));
        assertTransaction(t);
        const posted = out.toString('latin1');
        const leaked = [...secretsIn(doc), ...hdrs.filter(([n]) => HEADERS.includes(n.toLowerCase())).map(([, v]) => v)];
        for (const s of leaked) for (const f of forms(s)) assert.ok(!posted.includes(f), `leaked ${s} as ${f}`);
        // Headers that are not listed are carried exactly; listed ones as [REDACTED], names kept.
        const got = decodeHeaders(t.request).filter((x) => !x.name.startsWith('cq-') && x.name !== 'content-type');
        assert.deepEqual(got.map((x) => x.name), reqHeaders.map((x) => x.name.toString()));
        got.forEach((x, i) => assert.deepEqual(x.value, HEADERS.includes(x.name) ? Buffer.from('[REDACTED]') : reqHeaders[i].value));
        for (const side of [t.request, t.response]) {
          const carried = decodeBody(side);
          assert.equal(side.body.length, carried.length);
          if (body.length <= limit) {
            const parsed = JSON.parse(carried.toString('utf8')); // whole valid JSON stays valid
            assert.deepEqual(secretsIn(parsed), []);
          }
        }
      },
    ),
    { numRuns: 400, seed: 0xc0ffee },
  );
});

test('without a JSON content type or a leading { or [, a body is not touched', () => {
  h.reset(1000);
  const body = Buffer.from('password=hunter2&"password":"SECRETabcdefgh"');
  h.requestHeaders([P(':method', 'POST'), P(':path', '/form'), P('content-type', 'application/x-www-form-urlencoded')]);
  h.responseHeaders([P(':status', '200')]);
  h.requestChunk(body);
  h.times(200, 1n);
  const t = JSON.parse(h.serialize('0123456789abcdef0123456789abcdef').toString('utf8'));
  assert.deepEqual(decodeBody(t.request), body);
});
