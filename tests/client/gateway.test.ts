// End to end through the local gateway (real HTTP): whatever Cequence does (slow, down, erroring,
// refusing tokens), every client request gets exactly the answer it gets without the policy, and the
// client's accounting stays exact. The module is the client harness (real policy root and client,
// one small transaction per request carrying x-test-txn).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startGateway, type Gateway } from '../../emulator/index.ts';
import { startUpstream, type Upstream } from '../../emulator/upstream.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';
import { writeBundle } from '../emulator/bundle.ts';
import { harnessWasm, ids, parseStats, waitFor, policyConfigFor, deliveredIds, CLIENT_ID, CLIENT_SECRET } from './helpers.ts';

interface Answer { status: number; body: string; type?: string; custom?: string | string[] }

function request(base: string, path: string, txn: string | undefined, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (txn) headers['x-test-txn'] = txn;
    const req = http.request(base + path, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode!,
        body: Buffer.concat(chunks).toString(),
        type: res.headers['content-type'],
        custom: res.headers['x-up'],
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the client sees without the policy: the upstream's answer, minus what depends on the hop. */
function comparable(a: Answer): Answer {
  if (a.type?.startsWith('application/json')) {
    const j = JSON.parse(a.body);
    // The echo reports the request headers, which the gateway legitimately changes (x-request-id,
    // x-forwarded-*, host); compare what the client sent and what came back.
    return { ...a, body: JSON.stringify({ method: j.method, path: j.path, query: j.query, body: j.body }) };
  }
  return a;
}

let upstream: Upstream;
let mock: MockCequence;
let gw: Gateway;

before(async () => {
  upstream = await startUpstream();
  mock = await startMockCequence({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const dir = writeBundle({
    wasm: harnessWasm(),
    upstreamUrl: upstream.url,
    services: { 'cequence-auth-service': mock.authUrl, 'cequence-edge-service': mock.edgeUrl },
    definitionProperties: {},
    config: {
      ...policyConfigFor(mock),
      cequenceEdgeTimeoutMs: 300,
      cequenceAuthTimeoutMs: 300,
      cequenceRetryGiveUpMs: 1500,
    },
  });
  gw = await startGateway({ dir, listenPort: 0, workers: 2 });
});

after(async () => {
  await gw?.close();
  await mock?.close();
  await upstream?.close();
});

test('every request through the gateway is answered exactly as without the policy, whatever Cequence does', async () => {
  const phases: [string, () => Promise<void>][] = [
    ['all ok', async () => { await mock.setEdgeMode('ok'); await mock.setAuthMode('ok'); }],
    ['edge down', () => mock.setEdgeMode('down')],
    ['edge slower than the timeout', () => mock.setEdgeMode('slow', { delayMs: 800 })],
    ['edge 500', () => mock.setEdgeMode(500)],
    ['edge refusing tokens', async () => { await mock.setEdgeMode('ok'); mock.revokeTokens(); await mock.setEdgeMode(401); }],
    ['token endpoint garbage', async () => { await mock.setEdgeMode('ok'); mock.revokeTokens(); await mock.setAuthMode('garbage'); }],
    ['token endpoint hanging', () => mock.setAuthMode('hang')],
    ['token endpoint down', () => mock.setAuthMode('down')],
  ];
  const sent: string[] = [];
  for (const [name, apply] of phases) {
    await apply();
    const txns = ids(8, 'g');
    for (const [i, t] of txns.entries()) {
      const path = `/api/items/${t}?status=${i % 2 ? 201 : 404}&header=x-up:${t}&type=application/json`;
      const body = JSON.stringify({ id: t, n: i });
      const direct = await request(upstream.url, path, undefined, body);
      const via = await request(gw.url, path, t, body);
      assert.deepEqual(comparable(via), comparable(direct), `${name}: ${t}`);
      if (process.env.CQ_DEBUG && i === 0) console.log(name, JSON.stringify(comparable(via)));
      sent.push(t);
    }
    await new Promise((r) => setTimeout(r, 400));
  }
  for (const vm of gw.vms) assert.equal(vm.failed, false, `worker ${vm.index} failed: ${vm.failure}`);

  // Back to normal: everything still held is delivered; the rest is counted, exactly.
  await mock.setAuthMode('ok');
  await mock.setEdgeMode('ok');
  const since = gw.entries.length;
  const stats = await waitFor(() => {
    const per = [0, 1].map((w) => {
      for (let i = gw.entries.length - 1; i >= since; i--) {
        const e = gw.entries[i];
        if (e.source === 'wasm' && e.worker === w) {
          const s = parseStats(e.message);
          if (s) return s;
        }
      }
      return undefined;
    });
    if (per.some((s) => !s || s.queued + s.inFlight > 0)) return undefined;
    return per.reduce((a, s) => ({ captured: a.captured + s!.captured, sent: a.sent + s!.sent, dropped: a.dropped + s!.dropped }), { captured: 0, sent: 0, dropped: 0 });
  }, 'drained stats', 20000);
  const got = deliveredIds(mock);
  assert.equal(stats.captured, sent.length);
  assert.equal(new Set(got).size, got.length, 'a transaction arrived twice');
  assert.equal(stats.sent, got.length);
  assert.equal(stats.dropped, sent.filter((t) => !got.includes(t)).length, 'dropped counter vs missing');
  if (process.env.CQ_DEBUG) console.log(JSON.stringify(stats), got.length);
  assert.ok(stats.sent > 0 && stats.dropped > 0, JSON.stringify(stats)); // the 401 phase drops, the others deliver

  // No secret or token in any line the gateway wrote.
  const tokens = mock.issuedTokens.map((t) => t.token);
  for (const line of gw.logs) {
    assert.ok(!line.includes(CLIENT_SECRET), line);
    for (const t of tokens) assert.ok(!line.includes(t.slice(-24)), line);
  }
});
