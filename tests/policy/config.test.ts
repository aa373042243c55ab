// The policy's configuration on every host (the emulator's gateway and real Envoy), through the shipped
// bundle and real HTTP: the two start-up lines for a good configuration, the effective configuration
// equal to the schema defaults when the binding gives only what has none, one error line naming the
// field for each kind of bad configuration written into the binding, a warning for an unknown field,
// an edited rootId, and the shutdown line. In every case traffic passes untouched and no line holds a
// secret. (Bytes no binding can produce, such as malformed JSON, are in config-bytes.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { forEachHost, startSubject, editConfFile, bindingConfig, CLIENT_SECRET, type HostName, type Subject, type SubjectOptions } from '../../harness/index.ts';
import { assertNoSecrets, waitFor, waitForStats } from '../../harness/checks.ts';

const schema = JSON.parse(readFileSync(new URL('../../schema/config.schema.json', import.meta.url), 'utf8'));

const CONFIGURED = (debug: boolean) => `[cequence] Policy configured (debug_logs=${debug})`;
const INITIALIZED = '[cequence] Root context initialized';
const INVALID = /^\[cequence\] Invalid configuration, capture disabled: /;

/**
 * How many root contexts run the policy's on_configure, per thread. The emulator: one per worker VM.
 * Envoy: one per worker thread plus two on the main thread (the base VM Envoy first loads the module
 * into, and the main thread's own thread-local copy: Envoy's "Base Wasm created", then "Thread-Local
 * Wasm created" on the main thread as on each worker). Those two serve no streams, but they log every
 * start-up line, so an operator sees each start-up (or error) line workers + 2 times.
 */
function rootsPerThread(host: HostName, workers: number): number[] {
  return host === 'envoy' ? [...Array(workers).fill(1), 2].sort() : Array(workers).fill(1);
}

/** The module's lines that `keep` accepts, grouped by worker (emulator VM) or thread (Envoy), in order. */
function byWorker(s: Subject, keep: (text: string) => boolean): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const l of s.wasmLines()) {
    if (!keep(l.text)) continue;
    out.set(l.worker, [...(out.get(l.worker) ?? []), l.text]);
  }
  return out;
}

/** Not a periodic, per-request, per-batch, token or shutdown line: what a root context says when configured. */
function startupLine(text: string): boolean {
  return !/^\[cequence\] (Stats:|Shutting down:|Captured |Built transaction |Root: |Token obtained)/.test(text);
}

/** Waits until `n` root contexts have each logged `last` (start-up done), then returns the start-up lines. */
async function startup(s: Subject, last: RegExp, n: number): Promise<Map<number, string[]>> {
  await waitFor(() => s.messages().filter((m) => last.test(m)).length >= n, `[${s.host}] ${n} root contexts configured`);
  return byWorker(s, startupLine);
}

/** Each thread's lines are `perRoot` repeated once per root context on it; the root counts are as expected. */
function assertPerRoot(s: Subject, lines: Map<number, string[]>, perRoot: (string | RegExp)[], workers: number): void {
  const counts: number[] = [];
  for (const [w, got] of lines) {
    assert.equal(got.length % perRoot.length, 0, `[${s.host}] worker ${w}: ${JSON.stringify(got)}`);
    got.forEach((text, i) => {
      const want = perRoot[i % perRoot.length];
      if (typeof want === 'string') assert.equal(text, want, `[${s.host}] worker ${w} line ${i}`);
      else assert.match(text, want, `[${s.host}] worker ${w} line ${i}`);
    });
    counts.push(got.length / perRoot.length);
  }
  assert.deepEqual(counts.sort(), rootsPerThread(s.host, workers), `[${s.host}] root contexts per thread`);
}

/** One call that exercises the filter (chunked request body, repeated headers both ways): the client
 *  and the upstream see exactly what they would without the policy. */
async function passThrough(s: Subject): Promise<void> {
  const id = randomUUID();
  const body = Buffer.from('x'.repeat(5000));
  const r = await s.send({
    method: 'POST',
    path: '/orders?id=7&status=201&raw=1&header=x-resp:1&header=x-resp:2',
    headers: [['content-type', 'text/plain'], ['x-case', id], ['x-multi', 'a'], ['x-multi', 'b']],
    body: [body.subarray(0, 1000), body.subarray(1000)],
  });
  assert.equal(r.status, 201, `[${s.host}] the upstream's status`);
  assert.ok(r.body.equals(body), `[${s.host}] the upstream's body`);
  assert.deepEqual(r.headers.filter(([k]) => k === 'x-resp'), [['x-resp', '1'], ['x-resp', '2']]);
  const ex = s.upstream.exchanges.find((e) => e.headers['x-case'] === id);
  assert.ok(ex, 'the upstream got the call');
  assert.ok(ex!.request.bytes.equals(body), `[${s.host}] the upstream got the request body unchanged`);
  const multi: string[] = [];
  for (let i = 0; i < ex!.rawHeaders.length; i += 2) if (ex!.rawHeaders[i].toLowerCase() === 'x-multi') multi.push(ex!.rawHeaders[i + 1]);
  assert.deepEqual(multi, ['a', 'b']);
}

/** No VM failed: the emulator says so; on Envoy a trap would show as a wasm error of Envoy's own (and
 *  the next call would get a 503, which passThrough rules out). */
function assertNoTrap(s: Subject): void {
  for (const vm of s.emulator?.vms ?? []) assert.equal(vm.failed, false, `worker ${vm.index} failed: ${vm.failure}`);
  const envoyErrors = (s.envoy?.entries ?? []).filter((e) => e.logger === 'wasm' && !e.wasm && (e.level === 'error' || e.level === 'critical'));
  assert.deepEqual(envoyErrors.map((e) => e.line), []);
}

async function withSubject(o: SubjectOptions, body: (s: Subject) => Promise<void>): Promise<void> {
  const s = await startSubject(o);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

/** Replace the binding's spec.config by `make(current)` (e.g. leave fields out). */
function rewriteConfig(make: (current: Record<string, unknown>) => Record<string, unknown>): (dir: string) => void {
  return (dir) => editConfFile(dir, 'cequence_binding.yaml', (docs) => {
    const b = docs.find((d) => d?.kind === 'PolicyBinding');
    b.spec.config = make(bindingConfig(docs));
  });
}

const BAD: [string, Pick<SubjectOptions, 'config' | 'prepare'>, RegExp][] = [
  ['a wrong type', { config: { cequenceMaxStatusCode: '499' } }, /cequenceMaxStatusCode: must be an integer, got a string/],
  ['a boolean written as a string', { config: { enableDebugLogs: 'yes' } }, /enableDebugLogs: must be true or false, got a string/],
  ['a status out of range', { config: { cequenceMaxStatusCode: 700 } }, /cequenceMaxStatusCode: must be between 100 and 599, got 700/],
  ['inverted status codes', { config: { cequenceMinStatusCode: 400, cequenceMaxStatusCode: 200 } }, /cequenceMinStatusCode: must not exceed cequenceMaxStatusCode/],
  ['an empty client secret', { config: { cequenceClientSecret: '' } }, /cequenceClientSecret: is required when cequenceAuthEnabled is true/],
  ['a required URL left out', { prepare: rewriteConfig(({ cequenceAuthUrl: _, ...rest }) => rest) }, /cequenceAuthUrl: is required/],
  ['a bad URL scheme', { config: { cequenceEdgeUrl: 'edge.example.com' } }, /cequenceEdgeUrl: must start with http:\/\/ or https:\/\//],
  ['credentials written into a URL', { config: { cequenceAuthUrl: `https://client-e2e:${encodeURIComponent(CLIENT_SECRET)}@auth.example.com` } }, /cequenceAuthUrl: must not carry credentials/],
  ['a path without a slash', { config: { cequenceEdgePath: 'api-transactions' } }, /cequenceEdgePath: must begin with '\/'/],
  ['a bad namespace', { config: { serviceNamespace: 'Prod_NS' } }, /serviceNamespace: must be a Kubernetes namespace name/],
];

forEachHost('policy configuration', (host) => {
  test('a good configuration logs exactly the two start-up lines (per root context), and traffic passes', async () => {
    await withSubject({ host, workers: 2, config: { enableDebugLogs: false } }, async (s) => {
      const lines = await startup(s, /Root context initialized/, rootsPerThread(host, 2).reduce((a, b) => a + b));
      assertPerRoot(s, lines, [CONFIGURED(false), INITIALIZED], 2);
      await passThrough(s);
      await passThrough(s);
      await s.mock.waitForTransactions(2, 20000);
      // Nothing else at start-up or for delivered traffic while debug lines are off.
      assertPerRoot(s, byWorker(s, startupLine), [CONFIGURED(false), INITIALIZED], 2);
      assertNoTrap(s);
      assertNoSecrets(s);
    });
  });

  test('enableDebugLogs true with only what has no default: the effective configuration equals the schema defaults, and it delivers', async () => {
    const prepare = rewriteConfig((c) => ({
      cequenceAuthUrl: c.cequenceAuthUrl, cequenceEdgeUrl: c.cequenceEdgeUrl, cequenceClientId: c.cequenceClientId,
      cequenceClientSecret: c.cequenceClientSecret, cequenceAuthPath: c.cequenceAuthPath, enableDebugLogs: true,
    }));
    await withSubject({ host, prepare }, async (s) => {
      const lines = await startup(s, /^\[cequence\] Configuration: /, rootsPerThread(host, 1).reduce((a, b) => a + b));
      assertPerRoot(s, lines, [CONFIGURED(true), INITIALIZED, /^\[cequence\] Configuration: /], 1);
      const cfg = s.messages().find((l) => l.startsWith('[cequence] Configuration: '))!;
      assert.ok(cfg.includes('clientSecret=<set>'), cfg);
      const d = (n: string) => schema.properties[n].default;
      const expect = [
        `serviceNamespace=${d('serviceNamespace')}`, `edgePath=${d('cequenceEdgePath')}`,
        `status=${d('cequenceMinStatusCode')}-${d('cequenceMaxStatusCode')}`, `bodyLimit=${d('cequenceBodyLimitBytes')}`,
        `batch=${d('cequenceBatchMaxTransactions')}/${d('cequenceBatchMaxBytes')}B/${d('cequenceFlushIntervalMs')}ms`,
        `queue=${d('cequenceQueueMaxTransactions')}/${d('cequenceQueueMaxBytes')}B`, `inFlight=${d('cequenceMaxInFlightBatches')}`,
        `timeouts=${d('cequenceEdgeTimeoutMs')}/${d('cequenceAuthTimeoutMs')}ms`,
        `retry=${d('cequenceRetryInitialBackoffMs')}-${d('cequenceRetryMaxBackoffMs')}ms giveUp=${d('cequenceRetryGiveUpMs')}ms`,
        `tokenMargin=${d('cequenceTokenRefreshMarginSeconds')}s stats=${d('cequenceStatsIntervalMs')}ms`,
        `authEnabled=${d('cequenceAuthEnabled')}`,
      ];
      for (const part of expect) assert.ok(cfg.includes(part), `effective configuration has ${part}: ${cfg}`);
      await passThrough(s);
      await s.mock.waitForTransactions(1, 20000); // the default flush interval is 1 s
      assertNoTrap(s);
      assertNoSecrets(s);
    });
  });

  for (const [what, o, reason] of BAD) {
    test(`${what}: one error line per root context naming the field, nothing captured, traffic passes`, async () => {
      await withSubject({ host, ...o }, async (s) => {
        const lines = await startup(s, INVALID, rootsPerThread(host, 1).reduce((a, b) => a + b));
        assertPerRoot(s, lines, [INVALID], 1);
        for (const l of s.wasmLines()) {
          assert.match(l.text, reason);
          assert.equal(l.level, 'error', 'the line is logged at error level');
        }
        await passThrough(s);
        await passThrough(s);
        // Capture is off: no Stats, no token request, nothing at Edge; still only the error lines.
        assert.equal(s.mock.tokenRequests.length + s.mock.edgeRequests.length, 0);
        assert.ok(s.messages().every((m) => INVALID.test(m)), s.messages().join('\n'));
        assertNoTrap(s);
        assertNoSecrets(s);
      });
    });
  }

  test('an unknown field is a warning naming it; the policy still starts and captures', async () => {
    await withSubject({ host, config: { cequenceEdgeURL: 'typo', enableDebugLogs: false } }, async (s) => {
      const lines = await startup(s, /Root context initialized/, rootsPerThread(host, 1).reduce((a, b) => a + b));
      assertPerRoot(s, lines, ['[cequence] Configuration warning: cequenceEdgeURL: unknown field, ignored', CONFIGURED(false), INITIALIZED], 1);
      assert.ok(s.wasmLines().filter((l) => l.text.includes('Configuration warning')).every((l) => l.level === 'warn'));
      await passThrough(s);
      await s.mock.waitForTransactions(1, 20000);
      assertNoTrap(s);
      assertNoSecrets(s);
    });
  });

  test("an implementation whose rootId was edited still serves traffic and captures (the SDK's one warning per root context)", async () => {
    const prepare = (dir: string) => editConfFile(dir, 'cequence_implementation.yaml', (docs) => {
      docs[0].spec.properties.rootId.default = 'renamed';
    });
    await withSubject({ host, prepare, config: { enableDebugLogs: false } }, async (s) => {
      const lines = await startup(s, /Root context initialized/, rootsPerThread(host, 1).reduce((a, b) => a + b));
      // The SDK's own line has no [cequence] prefix: it comes from the runtime, before the policy runs.
      assertPerRoot(s, lines, ["root id 'renamed' is not registered; using 'main'", CONFIGURED(false), INITIALIZED], 1);
      await passThrough(s);
      await s.mock.waitForTransactions(1, 20000);
      assertNoTrap(s);
      assertNoSecrets(s);
    });
  });

  test('tearing the gateway down says, per root context, what was not sent', async () => {
    const s = await startSubject({ host });
    let closed = false;
    try {
      await s.mock.setEdgeMode('down');
      await passThrough(s);
      await waitForStats(s, (x) => x.captured === 1, '1 captured');
      await s.close();
      closed = true;
      const shutdown = s.wasmLines().filter((l) => l.text.startsWith('[cequence] Shutting down: '));
      const lost = shutdown.filter((l) => /^\[cequence\] Shutting down: 1 transaction\(s\) queued or in flight are not sent; Stats: captured=1 sent=0 dropped=0 /.test(l.text));
      assert.equal(lost.length, 1, shutdown.map((l) => l.text).join('\n'));
      assert.equal(lost[0].level, 'warn');
      const others = shutdown.filter((l) => l !== lost[0]);
      if (host === 'envoy') {
        // Envoy also tears down the main thread's root contexts, which captured nothing; in our runs one
        // of the two wrote its line before Envoy exited (so: at most two, each with nothing lost).
        assert.ok(others.length <= 2, shutdown.map((l) => l.text).join('\n'));
        for (const l of others) assert.match(l.text, /^\[cequence\] Shutting down: every captured transaction was sent or counted as dropped; Stats: captured=0 /);
      } else {
        assert.deepEqual(others, []);
      }
      assertNoSecrets(s);
    } finally {
      if (!closed) await s.close();
    }
  });
});
