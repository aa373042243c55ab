import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startMockCequence, DEFAULT_AUTH_PATH, type MockCequence } from '../../emulator/mock-cequence.ts';

const ID = 'client-1';
const SECRET = 's3cret &+=%/ü';

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function requestToken(m: MockCequence, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(m.authUrl + m.authPath, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(fields),
  });
}

async function goodToken(m: MockCequence): Promise<string> {
  const r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
  assert.equal(r.status, 200);
  const j = (await r.json()) as { access_token: string };
  return j.access_token;
}

function postBatch(m: MockCequence, body: string, token?: string, signal?: AbortSignal) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(m.edgeUrl + m.edgePath, { method: 'POST', headers, body, signal });
}

/** A valid transaction in Cequence's format, told apart by its path. */
function tx(tag: string): Record<string, unknown> {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  return {
    timestamp: '1733045000.123', version: '1.0', 'transaction-id': '0123456789abcdef0123456789abcdef',
    request: {
      'client-ip': '203.0.113.7', 'http-scheme': 'https', 'http-version': '1.1', 'http-method': 'POST',
      'uri-query-fragment': `/${tag}?q=1`, host: 'api.example.com',
      connection: { 'connection-ip': '203.0.113.7', 'connection-port': 51234, 'server-ip': '10.0.0.1', 'server-port': 8081 },
      headers: [`content-type:${b64('application/json')}`, 'x-empty:'],
      body: { length: 7, data: b64('{"a":1}') },
    },
    response: { 'status-code': '200', headers: [`content-type:${b64('text/plain')}`], body: { length: 0, data: '' } },
    'txn-meta-data': { source_info: { version: '1.0.0', type: 'mulesoft-flex-gateway', pool_id: 'p', instance_id: 'i' } },
  };
}

/** The batch document holding one transaction per tag. */
function batch(...tags: string[]): string {
  return JSON.stringify({ data: tags.map(tx) });
}

function jwtPayload(t: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString('utf8'));
}

/** The error code under a fetch failure (undici wraps the socket error in `cause`). */
async function fetchErrorCode(p: Promise<Response>): Promise<string> {
  try {
    const r = await p;
    return `status ${r.status}`;
  } catch (e) {
    const err = e as { name?: string; cause?: { code?: string; name?: string } };
    return err.cause?.code ?? err.cause?.name ?? err.name ?? 'error';
  }
}

/** After a listener closes, fetch's pooled keep-alive connection may fail first ("other side
 *  closed"); the next attempt must be refused outright. */
async function assertRefused(call: () => Promise<Response>): Promise<void> {
  const first = await fetchErrorCode(call());
  assert.ok(['ECONNREFUSED', 'UND_ERR_SOCKET'].includes(first), first);
  assert.equal(await fetchErrorCode(call()), 'ECONNREFUSED');
}

describe('token endpoint', () => {
  let m: MockCequence;
  before(async () => {
    m = await startMockCequence({ clientId: ID, clientSecret: SECRET, tokenLifetimeSeconds: 120 });
  });
  after(() => m.close());
  beforeEach(async () => {
    await m.setAuthMode('ok');
    m.reset();
  });

  test('listens on loopback with the default Keycloak-style path', () => {
    assert.match(m.authUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(m.edgeUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(m.authUrl, m.edgeUrl);
    assert.equal(m.authPath, DEFAULT_AUTH_PATH);
    assert.equal(m.edgePath, '/api-transactions');
  });

  test('issues a bearer token for the right form-posted credentials', async () => {
    const r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    const j = (await r.json()) as Record<string, unknown>;
    assert.equal(j.token_type, 'Bearer');
    assert.equal(j.expires_in, 120);
    assert.equal(typeof j.access_token, 'string');
    const p = jwtPayload(j.access_token as string);
    assert.equal((p.exp as number) - (p.iat as number), 120);
    assert.equal(p.client_id, ID);
    assert.equal(m.counts.tokenRequests, 1);
    assert.equal(m.counts.tokensIssued, 1);
    const rec = m.tokenRequests[0];
    assert.equal(rec.outcome, 'issued');
    assert.equal(rec.status, 200);
    assert.equal(rec.authMethod, 'client_secret_post');
    assert.equal(rec.clientId, ID);
    assert.equal(rec.params?.client_secret, SECRET);
    assert.equal(rec.rawBody.toString(), form({ grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }));
    assert.equal(rec.token, j.access_token);
    assert.equal(m.issuedTokens[0].token, j.access_token);
  });

  test('accepts HTTP Basic client authentication (RFC 6749 §2.3.1 encoding)', async () => {
    const basic = Buffer.from(`${encodeURIComponent(ID)}:${encodeURIComponent(SECRET)}`).toString('base64');
    const r = await requestToken(m, { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
    assert.equal(r.status, 200);
    assert.equal(m.tokenRequests[0].authMethod, 'client_secret_basic');
    const bad = Buffer.from(`${ID}:nope`).toString('base64');
    const r2 = await requestToken(m, { grant_type: 'client_credentials' }, { authorization: `Basic ${bad}` });
    assert.equal(r2.status, 401);
    assert.equal(m.counts.tokensIssued, 1);
  });

  test('two tokens issued in the same second differ', async () => {
    const a = await goodToken(m);
    const b = await goodToken(m);
    assert.notEqual(a, b);
  });

  test('refuses a wrong secret, an unknown client, missing credentials and another grant', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ grant_type: 'client_credentials', client_id: ID, client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: 'other', client_secret: SECRET }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, 401, 'invalid_client'],
      [{ grant_type: 'password', client_id: ID, client_secret: SECRET, username: 'u', password: 'p' }, 400, 'unsupported_grant_type'],
    ];
    for (const [fields, status, error] of cases) {
      const r = await requestToken(m, fields);
      assert.equal(r.status, status, JSON.stringify(fields));
      const j = (await r.json()) as Record<string, unknown>;
      assert.equal(j.error, error);
      assert.equal(j.access_token, undefined);
    }
    assert.equal(m.counts.tokenRequests, cases.length);
    assert.equal(m.counts.tokensIssued, 0);
    assert.ok(m.tokenRequests.every((t) => t.outcome === 'refused'));
    const r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: 'wrong' });
    assert.match(r.headers.get('www-authenticate') ?? '', /Basic/);
  });

  test('advertised expires_in can differ from the real lifetime or be omitted', async () => {
    await m.setAuthMode('ok', { expiresIn: 5 });
    let r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
    assert.equal(((await r.json()) as Record<string, unknown>).expires_in, 5);
    await m.setAuthMode('ok', { expiresIn: null });
    r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
    const j = (await r.json()) as Record<string, unknown>;
    assert.ok(!('expires_in' in j));
    assert.equal(typeof j.access_token, 'string');
  });

  test('auth mode garbage answers 200 with a body that is not JSON', async () => {
    await m.setAuthMode('garbage');
    const r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.throws(() => JSON.parse(text));
    assert.equal(m.counts.tokensIssued, 0);
    assert.equal(m.tokenRequests[0].outcome, 'fault');
    await m.setAuthMode('garbage', { body: '{"token_type":"Bearer"}' });
    const r2 = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
    assert.deepEqual(await r2.json(), { token_type: 'Bearer' });
  });

  test('auth mode 500 (and any status), with count reverting to ok', async () => {
    await m.setAuthMode(500, { count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
      assert.equal(r.status, 500);
      await r.arrayBuffer();
    }
    assert.equal(m.authMode, 'ok');
    assert.equal(typeof (await goodToken(m)), 'string');
    await m.setAuthMode('503');
    const r = await requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
    assert.equal(r.status, 503);
    await r.arrayBuffer();
  });

  test('auth mode hang accepts and never answers', async () => {
    await m.setAuthMode('hang');
    const p = fetch(m.authUrl + m.authPath, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }),
      signal: AbortSignal.timeout(300),
    });
    assert.equal(await fetchErrorCode(p), 'TimeoutError');
    assert.equal(m.counts.tokenRequests, 1);
    assert.ok(m.tokenRequests.every((t) => t.outcome === 'hang' && t.status === undefined));
  });

  test('auth mode down refuses connections, and ok reopens on the same port', async () => {
    const url = m.authUrl;
    await m.setAuthMode('down');
    await assertRefused(() => requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }));
    await m.setAuthMode('ok');
    assert.equal(m.authUrl, url);
    assert.equal(typeof (await goodToken(m)), 'string');
  });

  test('auth mode reset destroys the connection', async () => {
    await m.setAuthMode('reset');
    const code = await fetchErrorCode(requestToken(m, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }));
    assert.ok(!code.startsWith('status'), code);
    assert.equal(m.tokenRequests[0].outcome, 'reset');
  });

  test('auth mode slow answers normally after the delay', async () => {
    await m.setAuthMode('slow', { delayMs: 150 });
    const t = await goodToken(m);
    assert.ok(m.isTokenValid(t));
    assert.equal(m.tokenRequests[0].mode, 'slow');
  });

  test('a custom token path is served and the default one is not', async () => {
    const m2 = await startMockCequence({ clientId: ID, clientSecret: SECRET, authPath: '/oauth/token', edgePath: '/v2/batch' });
    try {
      assert.equal(m2.authPath, '/oauth/token');
      const r = await requestToken(m2, { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET });
      assert.equal(r.status, 200);
      const tok = ((await r.json()) as { access_token: string }).access_token;
      const r404 = await fetch(m2.authUrl + DEFAULT_AUTH_PATH, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ grant_type: 'client_credentials', client_id: ID, client_secret: SECRET }) });
      assert.equal(r404.status, 404);
      await r404.arrayBuffer();
      const e = await postBatch(m2, batch('a'), tok);
      assert.equal(e.status, 200);
      await e.arrayBuffer();
      const e404 = await fetch(m2.edgeUrl + '/api-transactions', { method: 'POST', headers: { authorization: `Bearer ${tok}` }, body: '[]' });
      assert.equal(e404.status, 404);
      await e404.arrayBuffer();
      assert.equal(m2.counts.batches, 1);
    } finally {
      await m2.close();
    }
  });
});

describe('edge collector', () => {
  let m: MockCequence;
  let clock = Date.now();
  before(async () => {
    m = await startMockCequence({ clientId: ID, clientSecret: SECRET, tokenLifetimeSeconds: 60, now: () => clock });
  });
  after(() => m.close());
  beforeEach(async () => {
    await m.setEdgeMode('ok');
    await m.setAuthMode('ok');
    m.setAuthRequired(true);
    m.reset();
  });

  test('accepts a batch with a valid bearer token and records it exactly', async () => {
    const tok = await goodToken(m);
    const txns = [tx('a'), tx('b')];
    const body = JSON.stringify({ data: txns });
    const r = await postBatch(m, body, tok);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { received: 2 });
    assert.equal(m.counts.batches, 1);
    assert.equal(m.counts.transactions, 2);
    assert.equal(m.counts.bytes, Buffer.byteLength(body));
    assert.equal(m.counts.edgeRequests, 1);
    const b = m.batches[0];
    assert.equal(b.raw.toString('utf8'), body);
    assert.deepEqual(b.json, { data: txns });
    assert.deepEqual(b.transactions, txns);
    assert.equal(b.token, tok);
    assert.equal(b.headers.authorization, `Bearer ${tok}`);
    assert.equal(b.headers['content-type'], 'application/json');
    assert.deepEqual(m.transactions, txns);
    assert.equal(m.edgeRequests[0].outcome, 'accepted');
    const got = await m.waitForTransactions(2, 1000);
    assert.deepEqual(got, txns);
  });

  test('rejects a missing, malformed, unknown, expired and revoked token with 401', async () => {
    const body = batch('x');
    const expectReject = async (token: string | undefined, headerOverride?: string, reason?: RegExp) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (headerOverride !== undefined) headers.authorization = headerOverride;
      else if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const r = await fetch(m.edgeUrl + m.edgePath, { method: 'POST', headers, body });
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /Bearer/);
      const j = (await r.json()) as { error: string };
      if (reason) assert.match(j.error, reason);
    };
    await expectReject(undefined, undefined, /missing/);
    const tok = await goodToken(m);
    await expectReject(undefined, `Basic ${tok}`, /not a Bearer/);
    await expectReject(tok.slice(0, -2) + 'xx', undefined, /unknown/);

    // expiry, with the injected clock
    clock += 59_000;
    let r = await postBatch(m, body, tok);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    clock += 1_000;
    assert.equal(m.isTokenValid(tok), false);
    await expectReject(tok, undefined, /expired/);

    // revocation
    const tok2 = await goodToken(m);
    r = await postBatch(m, body, tok2);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    m.revokeTokens();
    await expectReject(tok2, undefined, /revoked/);
    const tok3 = await goodToken(m);
    assert.notEqual(tok3, tok2);
    r = await postBatch(m, body, tok3);
    assert.equal(r.status, 200);
    await r.arrayBuffer();

    assert.equal(m.counts.batches, 3);
    assert.equal(m.counts.transactions, 3);
    assert.equal(m.edgeRequests.filter((e) => e.outcome === 'rejected').length, 5);
  });

  test('with auth disabled, accepts a batch without an Authorization header', async () => {
    m.setAuthRequired(false);
    const r = await postBatch(m, batch('y'));
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.equal(m.batches[0].headers.authorization, undefined);
    assert.equal(m.batches[0].token, undefined);
    const m2 = await startMockCequence({ authRequired: false });
    try {
      const r2 = await postBatch(m2, batch('e'));
      assert.equal(r2.status, 200);
      await r2.arrayBuffer();
      assert.equal(m2.counts.batches, 1);
    } finally {
      await m2.close();
    }
  });

  test('rejects anything but Cequence\'s batch format with 400 and the reason', async () => {
    const tok = await goodToken(m);
    const mutate = (f: (t: any) => void) => {
      const t = tx('m');
      f(t);
      return JSON.stringify({ data: [t] });
    };
    const cases: [string, string, RegExp][] = [
      ['a bare array', JSON.stringify([tx('m')]), /not a bare array/],
      ['an empty batch', JSON.stringify({ data: [] }), /fewer than 1 items/],
      ['a header without a colon', mutate((t) => t.request.headers.push('no-colon')), /headers\/2/],
      ['a header value not base64', mutate((t) => t.request.headers.push('x-plain:hello world')), /headers\/2/],
      ['a header as an object', mutate((t) => (t.response.headers = [{ name: 'a', value: 'b' }])), /headers\/0/],
      ['a body as a string', mutate((t) => (t.request.body = 'text')), /request\/body/],
      ['a body without length', mutate((t) => delete t.response.body.length), /response\/body/],
      ['data that decodes to another length', mutate((t) => (t.request.body.length = 8)), /decodes to 7 bytes, length says 8/],
      ['non-canonical base64 data', mutate((t) => (t.request.body = { length: 1, data: 'QR==' })), /canonical/],
      ['a numeric status-code', mutate((t) => (t.response['status-code'] = 200)), /status-code/],
      ['a missing http-method', mutate((t) => delete t.request['http-method']), /http-method/],
      ['a missing transaction-id', mutate((t) => delete t['transaction-id']), /transaction-id/],
      ['the previous format (status, body-encoding)', mutate((t) => { t.response.status = 200; t.request['body-encoding'] = 'utf8'; }), /must NOT have additional properties/],
    ];
    for (const [what, body, reason] of cases) {
      const r = await postBatch(m, body, tok);
      assert.equal(r.status, 400, what);
      const j = (await r.json()) as { error: string };
      assert.match(j.error, reason, `${what}: ${j.error}`);
    }
    assert.equal(m.counts.batches, 0);
    const ok = await postBatch(m, batch('good'), tok);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
  });

  test('rejects a body that is not a JSON batch and a wrong method', async () => {
    const tok = await goodToken(m);
    for (const body of ['{"a":1}', '[{"a":1}', 'not json']) {
      const r = await postBatch(m, body, tok);
      assert.equal(r.status, 400, body);
      await r.arrayBuffer();
    }
    const g = await fetch(m.edgeUrl + m.edgePath, { headers: { authorization: `Bearer ${tok}` } });
    assert.equal(g.status, 405);
    await g.arrayBuffer();
    assert.equal(m.counts.batches, 0);
    assert.equal(m.counts.edgeRequests, 4);
    assert.equal(m.edgeRequests[2].body.toString(), 'not json');
  });

  test('edge modes 401 and 500 (any status) answer without accepting, count reverts to ok', async () => {
    const tok = await goodToken(m);
    await m.setEdgeMode('401', { count: 1 });
    let r = await postBatch(m, batch('1'), tok);
    assert.equal(r.status, 401);
    await r.arrayBuffer();
    assert.equal(m.edgeMode, 'ok');
    r = await postBatch(m, batch('1'), tok);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    for (const s of [500, 502, 503, 429]) {
      await m.setEdgeMode(s);
      r = await postBatch(m, batch('2'), tok);
      assert.equal(r.status, s);
      await r.arrayBuffer();
    }
    assert.equal(m.counts.batches, 1);
    assert.deepEqual(m.transactions, [tx('1')]);
    assert.deepEqual(m.edgeRequests.map((e) => e.status), [401, 200, 500, 502, 503, 429]);
    assert.deepEqual(m.edgeRequests.map((e) => e.outcome), ['fault', 'accepted', 'fault', 'fault', 'fault', 'fault']);
    assert.equal(m.edgeRequests[2].body.toString(), batch('2'));
  });

  test('edge mode slow answers after the delay; a client that gave up is not counted as delivered', async () => {
    const tok = await goodToken(m);
    await m.setEdgeMode('slow', { delayMs: 100 });
    const r = await postBatch(m, batch('slow1'), tok);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.equal(m.counts.batches, 1);
    assert.equal(m.edgeRequests[0].mode, 'slow');

    await m.setEdgeMode('slow', { delayMs: 1500 });
    const code = await fetchErrorCode(postBatch(m, batch('slow2'), tok, AbortSignal.timeout(100)));
    assert.equal(code, 'TimeoutError');
    await new Promise((res) => setTimeout(res, 1700));
    assert.equal(m.counts.batches, 1);
    assert.equal(m.edgeRequests[1].outcome, 'client-gone');
  });

  test('edge mode hang reads the batch and never answers', async () => {
    const tok = await goodToken(m);
    await m.setEdgeMode('hang');
    const code = await fetchErrorCode(postBatch(m, '[{"h":1}]', tok, AbortSignal.timeout(300)));
    assert.equal(code, 'TimeoutError');
    assert.equal(m.edgeRequests[0].outcome, 'hang');
    assert.equal(m.edgeRequests[0].body.toString(), '[{"h":1}]');
    assert.equal(m.counts.batches, 0);
  });

  test('edge mode reset destroys the connection', async () => {
    const tok = await goodToken(m);
    await m.setEdgeMode('reset');
    const code = await fetchErrorCode(postBatch(m, '[{"r":1}]', tok));
    assert.ok(!code.startsWith('status'), code);
    assert.equal(m.edgeRequests[0].outcome, 'reset');
    assert.equal(m.counts.batches, 0);
  });

  test('edge mode down refuses connections; back to ok on the same port; tokens survive', async () => {
    const tok = await goodToken(m);
    const url = m.edgeUrl;
    await m.setEdgeMode('down');
    await assertRefused(() => postBatch(m, '[1]', tok));
    assert.equal(m.counts.edgeRequests, 0);
    await m.setEdgeMode('down'); // idempotent
    await m.setEdgeMode('ok');
    assert.equal(m.edgeUrl, url);
    const r = await postBatch(m, batch('1'), tok);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.equal(m.counts.batches, 1);
  });

  test('waitForTransactions resolves on arrival and rejects on timeout', async () => {
    const tok = await goodToken(m);
    const waiting = m.waitForTransactions(3, 3000);
    for (const b of [batch('1', '2'), batch('3')]) {
      const r = await postBatch(m, b, tok);
      await r.arrayBuffer();
    }
    assert.deepEqual(await waiting, [tx('1'), tx('2'), tx('3')]);
    await assert.rejects(m.waitForTransactions(10, 50), /timed out .*10 transaction\(s\).*have 3/);
  });

  test('rejects unknown modes', async () => {
    await assert.rejects(m.setEdgeMode('garbage' as never), /auth mode/);
    await assert.rejects(m.setEdgeMode('nope' as never), /unknown mode/);
    await assert.rejects(m.setEdgeMode(999), /bad status/);
    await m.setEdgeMode('ok');
  });
});

test('close() ends hung requests and frees both ports', async () => {
  const m = await startMockCequence();
  await m.setEdgeMode('hang');
  await m.setAuthMode('hang');
  const p1 = fetchErrorCode(postBatch(m, '[]', 'x'));
  const p2 = fetchErrorCode(fetch(m.authUrl + m.authPath, { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  await m.waitForEdgeRequests(1);
  await m.waitForTokenRequests(1);
  const waiting = m.waitForTransactions(1, 10_000);
  await m.close();
  await assert.rejects(waiting, /closed/);
  assert.notEqual(await p1, 'status 200');
  assert.notEqual(await p2, 'status 200');
  assert.equal(await fetchErrorCode(fetch(m.edgeUrl + m.edgePath, { method: 'POST', body: '[]' })), 'ECONNREFUSED');
  assert.equal(await fetchErrorCode(fetch(m.authUrl + m.authPath, { method: 'POST', body: '' })), 'ECONNREFUSED');
});
