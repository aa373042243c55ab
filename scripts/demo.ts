// `npm run demo`: the built policy on real HTTP traffic, on loopback only. Starts an upstream, the mock
// Cequence (OAuth2 token endpoint + Edge collector) and the local gateway loaded from the Docker bundle,
// sends a few varied calls, then prints the gateway's [cequence] lines and what Edge received.
import { request } from 'node:http';
import { startUpstream } from '../emulator/upstream.ts';
import { startMockCequence } from '../emulator/mock-cequence.ts';
import { startGateway } from '../emulator/gateway/index.ts';
import { localDeploy } from '../emulator/local-deploy.ts';
import { decodeBody, isTruncated, regularHeaders } from '../emulator/wire-format.ts';

const CLIENT_ID = 'demo-client';
const CLIENT_SECRET = 'demo-secret-never-logged';

function send(base: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const CALLS: { what: string; method: string; path: string; body?: Buffer; headers?: Record<string, string>; captured: boolean }[] = [
  { what: 'GET with a query', method: 'GET', path: '/api/users?id=42&sort=asc', headers: { accept: 'application/json' }, captured: true },
  { what: 'POST JSON', method: 'POST', path: '/api/orders', body: Buffer.from(JSON.stringify({ item: 'book', qty: 2, note: 'caf\u00e9 "quoted"' })), headers: { 'content-type': 'application/json' }, captured: true },
  { what: 'POST a 40 KB body (cut at 32 KB)', method: 'POST', path: '/api/upload', body: Buffer.from('A'.repeat(40 * 1024)), headers: { 'content-type': 'text/plain' }, captured: true },
  { what: 'POST a binary body', method: 'POST', path: '/api/blob', body: Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 128) & 0xff)), headers: { 'content-type': 'application/octet-stream' }, captured: true },
  { what: 'a 404', method: 'GET', path: '/api/missing?status=404', captured: true },
  { what: 'a 500 (not captured: outside 100-499)', method: 'GET', path: '/api/broken?status=500', captured: false },
];

async function main(): Promise<number> {
  const upstream = await startUpstream();
  const cequence = await startMockCequence({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenLifetimeSeconds: 1800 });
  const dir = localDeploy({
    upstreamUrl: upstream.url,
    authUrl: cequence.authUrl,
    edgeUrl: cequence.edgeUrl,
    config: {
      cequenceClientId: CLIENT_ID,
      cequenceClientSecret: CLIENT_SECRET,
      cequenceAuthPath: cequence.authPath,
      cequenceEdgePath: cequence.edgePath,
      enableDebugLogs: true,
      cequenceFlushIntervalMs: 200,
    },
  });
  const gateway = await startGateway({ dir, listenPort: 0, workers: 1 });
  let exitCode = 0;
  try {
    console.log(`Upstream ${upstream.url}, mock Cequence auth ${cequence.authUrl} edge ${cequence.edgeUrl}, gateway ${gateway.url} (conf.d: ${dir})\n`);
    console.log('Calls through the gateway:');
    for (const c of CALLS) {
      const r = await send(gateway.url, c.method, c.path, c.body, c.headers);
      console.log(`  ${c.method.padEnd(4)} ${c.path.padEnd(28)} -> ${r.status} (${r.bytes} bytes)   ${c.what}`);
    }
    const expected = CALLS.filter((c) => c.captured).length;
    let received: any[] = [];
    try {
      received = (await cequence.waitForTransactions(expected, 15000)) as any[];
    } catch {
      received = cequence.transactions as any[];
    }
    // The Edge callback line is logged when the answer reaches the module, just after Edge recorded the batch.
    for (let i = 0; i < 40 && !gateway.logs.some((l) => l.includes('edge callback')); i++) await new Promise((r) => setTimeout(r, 50));
    console.log('\nGateway log, [cequence] lines:');
    for (const line of gateway.logs) if (line.includes('[cequence]')) console.log('  ' + line);
    console.log(`\nEdge received ${received.length} transaction(s) in ${cequence.batches.length} batch(es), ${cequence.tokenRequests.length} token request(s):`);
    // Decoded from Cequence's wire format: headers name:base64, bodies {length, data} (emulator/wire-format.ts).
    for (const t of received) {
      const rq = t.request, rs = t.response;
      const side = (s: any) => {
        const bytes = decodeBody(s);
        const text = bytes.toString('utf8');
        const preview = Buffer.from(text, 'utf8').equals(bytes) ? JSON.stringify(text.length > 24 ? text.slice(0, 24) + '…' : text) : 'binary';
        return `${bytes.length} B ${preview}${isTruncated(s) ? ' (truncated)' : ''}, ${regularHeaders(s).length} headers`;
      };
      console.log(`  ${String(t['transaction-id']).padEnd(33)} ${String(rq['http-method']).padEnd(4)} ${String(rq['uri-query-fragment']).padEnd(26)} ` +
        `${rs['status-code']}  request ${side(rq)}; response ${side(rs)}`);
    }
    if (received.length !== expected) {
      console.error(`\nExpected ${expected} transactions at Edge, got ${received.length}.`);
      exitCode = 1;
    }
    const secretSeen = gateway.logs.some((l) => l.includes(CLIENT_SECRET) || cequence.issuedTokens.some((tk: any) => l.includes(tk.token ?? tk)));
    if (secretSeen) {
      console.error('\nA secret or token appeared in the gateway log.');
      exitCode = 1;
    }
  } finally {
    await gateway.close();
    await cequence.close();
    await upstream.close();
  }
  return exitCode;
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
