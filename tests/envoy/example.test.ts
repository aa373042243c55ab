// examples/envoy/envoy.yaml, a hand-written Envoy bootstrap, run as an operator outside this repository
// would: its ${...} placeholders filled, Envoy started on it directly (no envoy-gateway/, no
// translator), traffic sent, and the transactions arriving at a mock Edge over HTTPS.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { K8S_BUNDLE, REPO_ROOT } from '../../harness/local-deploy.ts';
import { startMockCequence, type MockCequence } from '../../emulator/mock-cequence.ts';
import { testCa } from '../../emulator/test-ca.ts';
import { startUpstream, type Upstream } from '../../emulator/upstream.ts';
import { decodeBody, headerValues } from '../../emulator/wire-format.ts';
import { sendRequest } from '../../harness/http-client.ts';
import { envoyBin, envoyMissingReason } from '../../scripts/envoy-bin.mjs';
import { waitUntil } from './lib.ts';

const TEMPLATE = path.join(REPO_ROOT, 'examples/envoy/envoy.yaml');

/** envsubst: every ${NAME} replaced; a placeholder without a value is an error, not an empty string. */
function fillTemplate(text: string, values: Record<string, string | number>): string {
  return text.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`examples/envoy/envoy.yaml: no value for \${${name}}`);
    return String(values[name]);
  });
}

let dir: string | undefined;
let envoy: ChildProcess | undefined;
let envoyExit: Promise<void> | undefined;
let upstream: Upstream | undefined;
let mock: MockCequence | undefined;
after(async () => {
  if (envoy?.pid && envoy.exitCode === null && envoy.signalCode === null) {
    process.kill(-envoy.pid, 'SIGTERM');
    const t = setTimeout(() => envoy?.pid && process.kill(-envoy.pid, 'SIGKILL'), 3000);
    await envoyExit;
    clearTimeout(t);
  }
  await mock?.close();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function adminJson(admin: string, p: string): Promise<any> {
  const r = await fetch(`http://${admin}${p}`);
  if (!r.ok) throw new Error(`${p}: ${r.status}`);
  return r.json();
}

test('examples/envoy/envoy.yaml: Envoy run directly on the filled template delivers transactions to an Edge of its own', async (t) => {
  const missing = envoyMissingReason();
  if (missing) throw new Error(missing);
  const ca = await testCa();
  upstream = await startUpstream();
  mock = await startMockCequence({ tls: ca, clientId: 'example-client', clientSecret: 'example-secret' });
  dir = mkdtempSync(path.join(tmpdir(), 'cequence-example-'));
  const edge = new URL(mock.edgeUrl);
  const auth = new URL(mock.authUrl);
  const text = fillTemplate(readFileSync(TEMPLATE, 'utf8'), {
    LISTEN_PORT: 0,
    ADMIN_PORT: 0,
    UPSTREAM_HOST: '127.0.0.1',
    UPSTREAM_PORT: upstream.port,
    WASM_FILE: path.join(K8S_BUNDLE, 'cequence_policy.wasm'),
    // The mock's certificate names localhost (and 127.0.0.1): SNI and the SAN check use the host name.
    AUTH_HOST: 'localhost',
    AUTH_PORT: auth.port,
    AUTH_PATH: mock.authPath,
    EDGE_HOST: 'localhost',
    EDGE_PORT: edge.port,
    EDGE_PATH: mock.edgePath,
    CLIENT_ID: mock.clientId,
    CLIENT_SECRET: mock.clientSecret,
    CA_FILE: ca.caFile,
  });
  assert.ok(!/\$\{/.test(text));
  const config = path.join(dir, 'envoy.yaml');
  writeFileSync(config, text);
  const adminPath = path.join(dir, 'admin-address');

  const logs: string[] = [];
  envoy = spawn(envoyBin().path, ['-c', config, '--disable-hot-restart', '--admin-address-path', adminPath, '--concurrency', '1', '-l', 'info'],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  envoyExit = new Promise((r) => envoy!.on('close', () => r()));
  for (const s of [envoy.stdout!, envoy.stderr!]) createInterface({ input: s }).on('line', (l) => logs.push(l));
  const running = () => envoy!.exitCode === null && envoy!.signalCode === null;

  await waitUntil('Envoy\'s admin address', () => !running() || (existsSync(adminPath) && statSync(adminPath).size > 0), 20000);
  assert.ok(running(), `Envoy exited: ${logs.slice(-5).join('\n')}`);
  const admin = readFileSync(adminPath, 'utf8').trim();
  let port = 0;
  const deadline = Date.now() + 20000;
  while (!port) {
    assert.ok(running(), `Envoy exited: ${logs.slice(-5).join('\n')}`);
    assert.ok(Date.now() < deadline, 'the listener did not come up');
    try {
      const ready = await fetch(`http://${admin}/ready`);
      if (ready.ok) {
        const l = await adminJson(admin, '/listeners?format=json');
        port = l.listener_statuses?.find((s: any) => s.name === 'api')?.local_address?.socket_address?.port_value ?? 0;
      }
    } catch { /* not yet */ }
    if (!port) await new Promise((r) => setTimeout(r, 50));
  }
  await waitUntil('the policy\'s start-up lines', () => logs.some((l) => /wasm log main: \[cequence\] Root context initialized$/.test(l)));
  assert.ok(logs.some((l) => /wasm log main: \[cequence\] Policy configured \(debug_logs=false\)$/.test(l)));

  const url = `http://127.0.0.1:${port}`;
  const n = 3;
  for (let i = 0; i < n; i++) {
    const r = await sendRequest(url, { method: 'POST', path: `/example/${i}?via=hand-written`, headers: [['content-type', 'text/plain']], body: `body ${i}` });
    assert.equal(r.status, 200);
  }
  await mock.waitForTransactions(n, 20000);
  for (let i = 0; i < n; i++) {
    const tx = (mock.transactions as any[]).find((x) => x.request['uri-query-fragment'] === `/example/${i}?via=hand-written`);
    assert.ok(tx, `/example/${i} at the Edge`);
    assert.equal(decodeBody(tx.request).toString(), `body ${i}`);
    assert.deepEqual(headerValues(tx.request, 'content-type'), ['text/plain']);
    assert.equal(tx.response['status-code'], '200');
    assert.equal(tx['txn-meta-data'].source_info.pool_id, 'cequence-policy-binding');
  }
  assert.equal(mock.tokenRequests.filter((r) => r.outcome === 'issued').length, 1, 'a token from the mock\'s OAuth2 endpoint');
  for (const b of mock.batches) assert.equal(b.token, mock.issuedTokens[0].token);
  assert.ok(!logs.some((l) => /\]\[(critical|error)\]/.test(l)), logs.filter((l) => /\]\[(critical|error)\]/.test(l)).join('\n'));
  t.diagnostic(`${mock.batches.length} batch(es) over HTTPS to ${mock.edgeUrl.replace('127.0.0.1', 'localhost')}`);
});
