// Capture controls end to end, on every host: the configuration (exclusions, redaction, body
// skipping) through a gateway loaded from the shipped bundle. What is excluded never reaches Edge;
// what is redacted appears nowhere in anything posted (raw, base64 at every alignment, JSON-escaped);
// names and the other fields do; a skipped body travels empty with cq-body-skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachHost, startSubject, type Subject } from '../../harness/index.ts';
import { decodeBody, decodeHeaders, headerValues } from '../../emulator/wire-format.ts';

const CONTROLS = {
  cequenceExcludePaths: ['/health', '/static/*'],
  cequenceExcludeMethods: ['OPTIONS'],
  cequenceRedactHeaders: ['Authorization', 'set-cookie'],
  cequenceRedactJsonFields: ['password', 'cardNumber'],
  cequenceSkipBodyContentTypes: ['image/*'],
};

// Secrets: each must appear nowhere in what Edge receives.
const AUTH = 'Bearer eyJhbGciOi.SECRET-AUTH-TOKEN-1234';
const COOKIE = 'session=SECRET-COOKIE-VALUE-5678';
const PASSWORD = 'SECRET-PASSWORD-hunter2';
const CARD = 4111111111111111;
const NESTED = 'SECRET-NESTED-password-value';
const BODY = JSON.stringify({
  user: 'alice', password: PASSWORD, cardNumber: CARD,
  payment: { cards: [{ cardNumber: String(CARD), holder: 'A' }, { cardNumber: 5500000000000004 }] },
  profile: { password: { old: NESTED, history: [NESTED] } }, note: 'password is a word, not a key here',
});
const SECRETS = [AUTH, 'SECRET-AUTH-TOKEN-1234', COOKIE, 'SECRET-COOKIE-VALUE-5678', PASSWORD, String(CARD), '5500000000000004', NESTED];

/** Every form a secret could take in the posted bytes: raw, JSON-escaped, base64 at each of the 3 alignments. */
function forms(secret: string): string[] {
  const out = [secret, JSON.stringify(secret).slice(1, -1)];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(secret)]).toString('base64');
    // Drop the characters that depend on the bytes around the secret.
    const start = Math.ceil((pad * 4) / 3) + 1;
    out.push(b64.slice(start, b64.length - 4));
  }
  return out.filter((f) => f.length >= 8);
}

forEachHost('capture controls end to end', (host) => {
  let s: Subject;
  before(async () => {
    s = await startSubject({ host, config: CONTROLS });
    const json: [string, string][] = [['content-type', 'application/json'], ['authorization', AUTH], ['x-case', 'json']];
    // The upstream's set-cookie comes from the query: every byte percent-encoded, so the path itself
    // (captured as it is) does not spell the secret.
    const hidden = [...Buffer.from('set-cookie:' + COOKIE)].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
    await s.send({ method: 'POST', path: `/login?raw=1&header=${hidden}&header=set-cookie:b=2`, headers: json, body: BODY });
    for (const [method, path] of [['GET', '/health'], ['GET', '/health?deep=1'], ['GET', '/static/app.js'], ['OPTIONS', '/api/items'], ['GET', '/healthz'], ['GET', '/statics']]) {
      await s.send({ method, path, headers: [['x-case', `${method} ${path}`]] });
    }
    await s.send({ method: 'GET', path: '/logo.png?binary=1&size=2000&type=image/png', headers: [['x-case', 'png']] });
    await s.mock.waitForTransactions(4, 15000);
    // A later stats line counts the three exclusions and the skipped body.
    await s.waitForMessage(/Stats: captured=4 .* excluded=4 bodies_skipped=1$/, 15000);
  });
  after(async () => {
    await s?.close();
  });

  const byCase = () => new Map((s.mock.transactions as any[]).map((t) => [headerValues(t.request, 'x-case')[0], t]));

  test('excluded paths and methods are never posted; near misses are', () => {
    const cases = [...byCase().keys()].sort();
    assert.deepEqual(cases, ['GET /healthz', 'GET /statics', 'json', 'png']);
    assert.equal(s.mock.transactions.length, 4);
  });

  test('redacted header values and JSON field values appear nowhere in what Edge received', () => {
    const posted = Buffer.concat(s.mock.edgeRequests.map((r) => r.body)).toString('latin1');
    for (const secret of SECRETS) {
      for (const f of forms(secret)) assert.ok(!posted.includes(f), `Edge received ${JSON.stringify(secret)} (as ${JSON.stringify(f)})`);
    }
    // And in the decoded bytes of every header value and body.
    for (const t of s.mock.transactions as any[]) {
      for (const side of [t.request, t.response]) {
        const all = Buffer.concat([decodeBody(side), ...decodeHeaders(side).map((h) => h.value)]).toString('latin1');
        for (const secret of SECRETS) assert.ok(!all.includes(secret), `a decoded value holds ${secret}`);
      }
    }
  });

  test('header names stay, their values travel as [REDACTED]; the other fields stay', () => {
    const t = byCase().get('json');
    assert.deepEqual(headerValues(t.request, 'authorization'), ['[REDACTED]']);
    assert.deepEqual(headerValues(t.response, 'set-cookie'), ['[REDACTED]', '[REDACTED]']);
    assert.ok(t.request.headers.includes('authorization:W1JFREFDVEVEXQ=='));
    for (const side of [t.request, t.response]) {
      const doc = JSON.parse(decodeBody(side).toString('utf8'));
      assert.equal(doc.user, 'alice');
      assert.equal(doc.password, '[REDACTED]');
      assert.equal(doc.cardNumber, '[REDACTED]');
      assert.deepEqual(doc.payment.cards, [{ cardNumber: '[REDACTED]', holder: 'A' }, { cardNumber: '[REDACTED]' }]);
      assert.equal(doc.profile.password, '[REDACTED]');
      assert.equal(doc.note, 'password is a word, not a key here');
      assert.equal(side.body.length, decodeBody(side).length);
    }
  });

  test('a body of a skipped content type travels empty with cq-body-skipped', () => {
    const t = byCase().get('png');
    assert.deepEqual(t.response.body, { length: 0, data: '' });
    assert.equal(t.response.headers.at(-1), 'cq-body-skipped:dHJ1ZQ==');
    assert.ok(!t.response.headers.includes('cq-body-truncated:dHJ1ZQ=='));
    assert.deepEqual(headerValues(t.response, 'content-type'), ['image/png']);
  });
});

forEachHost('capture controls: a bad value', (host) => {
  test('a pattern without a leading / gives one error line naming the field, and traffic is untouched', async () => {
    const s = await startSubject({ host, config: { cequenceExcludePaths: ['health'] } });
    try {
      const r = await s.send({ method: 'POST', path: '/orders?raw=1', headers: [['content-type', 'text/plain']], body: 'hello' });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hello');
      const line = await s.waitForMessage(/Invalid configuration/, 10000);
      assert.equal(line, '[cequence] Invalid configuration, capture disabled: cequenceExcludePaths: entry 0 ("health") must start with \'/\'');
      assert.ok(!s.messages().some((m) => m.startsWith('[cequence] Policy configured')));
      await new Promise((r2) => setTimeout(r2, 300));
      assert.equal(s.mock.transactions.length, 0);
    } finally {
      await s.close();
    }
  });
});
