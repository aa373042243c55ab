// The built bundles on real Envoy 1.40 through envoy-gateway/ (harness/: startSubject on host envoy):
// both bundles load and log the start-up lines in Envoy's own log, traffic passes unchanged, debug
// lines and delivery to an HTTPS Edge, a conf.d change reaching the running Envoy, and a binding that
// targets nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { editConfFile, editBindingConfig, startSubject } from '../../harness/index.ts';
import { envoySubject, header, cequenceLines } from './lib.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const STARTUP = ['[cequence] Policy configured (debug_logs=false)', '[cequence] Root context initialized'];

for (const bundle of ['docker', 'k8s'] as const) {
  describe(`envoy: ${bundle} bundle (${bundle === 'docker' ? 'inline base64:// module' : 'file:// module through the wasm path map'})`, () => {
    const subjectOf = envoySubject({ bundle, config: { enableDebugLogs: false } });

    test('loads on Envoy 1.40.0 and logs the start-up lines in Envoy\'s log', async () => {
      const s = await subjectOf();
      const gw = s.envoy!;
      assert.equal(gw.version, '1.40.0');
      for (const line of STARTUP) await gw.waitForLog(new RegExp(`\\]\\[info\\]\\[wasm\\] .*wasm log main: ${escape(line)}$`));
      const code = gw.translation.lds as any;
      const wasm = code.resources[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config.vm_config.code.local;
      assert.ok(bundle === 'docker' ? typeof wasm.inline_bytes === 'string' : wasm.filename.endsWith('policies-k8s/cequence_policy.wasm'));
      assert.ok(!gw.logs.some((l) => /\]\[(critical|error)\]/.test(l)), gw.logs.filter((l) => /\]\[(critical|error)\]/.test(l)).join('\n'));
    });

    test('traffic reaches the upstream unchanged and the answer comes back unchanged', async () => {
      const s = await subjectOf();
      const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
      const r = await s.send({
        method: 'POST', path: '/orders/42?raw=1&header=x-up:one&a=%20b', body,
        headers: [['content-type', 'application/octet-stream'], ['x-custom', 'v1'], ['authorization', 'Bearer abc']],
      });
      assert.equal(r.status, 200);
      assert.equal(sha(r.body), sha(body));
      assert.equal(header(r, 'x-up'), 'one');
      const ex = s.upstream.exchanges.at(-1)!;
      assert.equal(ex.method, 'POST');
      assert.equal(ex.url, '/orders/42?raw=1&header=x-up:one&a=%20b');
      assert.equal(ex.request.sha256, sha(body));
      assert.equal(ex.headers['x-custom'], 'v1');
      assert.equal(ex.headers.authorization, 'Bearer abc');
      assert.equal(ex.headers['content-type'], 'application/octet-stream');
      const missing = await s.send({ method: 'GET', path: '/missing?status=404' });
      assert.equal(missing.status, 404);
    });
  });
}

describe('envoy: enableDebugLogs on, Edge over HTTPS', () => {
  const subjectOf = envoySubject({ config: { enableDebugLogs: true } });

  test('per-request and per-batch lines in Envoy\'s log; the mock Edge receives N transactions for N requests', async () => {
    const s = await subjectOf();
    const gw = s.envoy!;
    assert.match(s.mock.edgeUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.mock.authUrl, /^https:\/\//);
    await gw.waitForLog(/\[cequence\] Policy configured \(debug_logs=true\)/);
    const n = 3;
    for (let i = 0; i < n; i++) assert.equal((await s.send({ method: 'GET', path: `/debug/${i}?q=${i}` })).status, 200);
    await s.mock.waitForTransactions(n, 15000);
    await gw.waitForLog(/\[cequence\] Root: edge callback - \d+ transaction\(s\) sent \(status=200\)/, 5000);
    const lines = cequenceLines(s);
    for (let i = 0; i < n; i++) {
      assert.ok(lines.some((l) => l.startsWith(`[cequence] Captured GET /debug/${i}?q=${i} (`)), `Captured /debug/${i}`);
      assert.ok(lines.some((l) => new RegExp(`^\\[cequence\\] Built transaction \\S+ \\(GET /debug/${i}\\?q=${i} - 200\\)$`).test(l)), `Built /debug/${i}`);
    }
    const sent = lines.filter((l) => /^\[cequence\] Root: sending \d+ transaction\(s\) to edge$/.test(l));
    assert.ok(sent.length >= 1);
    const acked = lines.map((l) => /^\[cequence\] Root: edge callback - (\d+) transaction\(s\) sent \(status=200\)$/.exec(l)).filter(Boolean);
    assert.equal(acked.reduce((a, m) => a + Number(m![1]), 0), n);
    assert.equal(s.mock.transactions.length, n);
    assert.ok(s.mock.tokenRequests.some((t) => t.outcome === 'issued'), 'a token was issued over HTTPS');
    // The per-request lines come from a stream context: Envoy prefixes them with the plugin (binding) name.
    assert.ok(gw.logs.some((l) => / wasm log cequence-policy-binding main: \[cequence\] Captured /.test(l)));
  });
});

describe('envoy: a conf.d change reaches the running Envoy without a restart', () => {
  const subjectOf = envoySubject({ config: { enableDebugLogs: false, cequenceFlushIntervalMs: 300 } });

  test('flipping enableDebugLogs and a tuning field (file renamed into conf.d) takes effect', async () => {
    const s = await subjectOf();
    const gw = s.envoy!;
    const pid = gw.pid;
    await gw.waitForLog(/\[cequence\] Policy configured \(debug_logs=false\)/);
    await s.send({ method: 'GET', path: '/before' });
    await s.mock.waitForTransactions(1, 15000);
    assert.ok(!cequenceLines(s).some((l) => l.startsWith('[cequence] Captured')), 'no debug line before the change');

    const mark = gw.logs.length;
    editBindingConfig(s.dir, { enableDebugLogs: true, cequenceFlushIntervalMs: 250 });
    // The watcher re-translates; Envoy reloads the renamed LDS file.
    await gw.waitForLog(/\[cequence\] Policy configured \(debug_logs=true\)/, 15000, mark);
    await gw.waitForLog(/\[cequence\] Configuration: .*batch=\d+\/\d+B\/250ms/, 5000, mark);
    await gw.waitForLog(/\[flex-gateway\] .*configuration \d+ applied/, 15000, mark);
    assert.equal(gw.pid, pid, 'same Envoy process');
    await s.send({ method: 'GET', path: '/after' });
    await gw.waitForLog(/\[cequence\] Captured GET \/after /, 5000, mark);
    await s.mock.waitForTransactions(2, 15000);
    assert.equal(gw.port, s.port, 'the listener kept its port');
    assert.equal((await s.send({ method: 'GET', path: '/again' })).status, 200);
  });
});

describe('envoy: a binding whose targetRef matches no ApiInstance', () => {
  const subjectOf = envoySubject({
    prepare: (dir) => editConfFile(dir, 'cequence_binding.yaml', (docs) => {
      docs.find((d) => d.kind === 'PolicyBinding').spec.targetRef = { kind: 'ApiInstance', name: 'no-such-api' };
    }),
  });

  test('logs `ApiInstance not found on cequence-policy-binding` and serves traffic without the policy', async () => {
    const s = await subjectOf();
    const gw = s.envoy!;
    assert.ok(gw.logs.some((l) => /\]\[error\]\[flex-gateway\] .*ApiInstance not found on cequence-policy-binding$/.test(l)));
    assert.equal((await s.send({ method: 'GET', path: '/plain' })).status, 200);
    assert.equal(cequenceLines(s).length, 0);
    const filters = (gw.translation.lds as any).resources[0].filter_chains[0].filters[0].typed_config.http_filters;
    assert.deepEqual(filters.map((f: any) => f.name), ['envoy.filters.http.router']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('envoy: a module that fails to load', () => {
  const EMPTY_MODULE = 'base64://AGFzbQEAAAA='; // a valid wasm module with no proxy-wasm ABI
  const setModule = (dir: string, source: string) => editConfFile(dir, 'cequence_implementation.yaml', (docs) => {
    docs[0].spec.properties.implementation.default = source;
  });

  test('at start-up: Envoy rejects the listener and the gateway fails with Envoy\'s reason', async () => {
    await assert.rejects(startSubject({ host: 'envoy', implementation: EMPTY_MODULE }),
      /Envoy rejected the configuration: .*Unable to create Wasm plugin cequence-policy-binding/);
  });

  const subjectOf = envoySubject({});
  test('as a conf.d change: the update is rejected and the running configuration keeps serving', async () => {
    const s = await subjectOf();
    const mark = s.envoy!.logs.length;
    setModule(s.dir, EMPTY_MODULE);
    await s.envoy!.waitForLog(/\[flex-gateway\] .*configuration \d+ rejected by Envoy: .*Unable to create Wasm plugin cequence-policy-binding/, 15000, mark);
    assert.equal((await s.send({ method: 'GET', path: '/still' })).status, 200);
    await s.mock.waitForTransactions(1, 15000);
  });
});
