// `npm run demo [-- --host envoy|emulator]`: the built policy on real HTTP traffic, on loopback only.
// Starts the harness's subject (upstream, mock Cequence, gateway loaded from the Docker bundle; real
// Envoy by default, Cequence then over HTTPS), sends a few varied calls, then prints the gateway's
// [cequence] lines and what Edge received, decoded from Cequence's wire format. Sizes are in bytes.
import { startSubject, type HostName, type Subject } from '../harness/index.ts';
import { envoyVersion } from '../envoy-gateway/index.ts';
import { decodeBody, isTruncated, regularHeaders } from '../emulator/wire-format.ts';

const CALLS: { what: string; method: string; path: string; body?: Buffer; headers?: [string, string][]; captured: boolean }[] = [
  { what: 'GET with a query', method: 'GET', path: '/api/users?id=42&sort=asc', headers: [['accept', 'application/json']], captured: true },
  { what: 'POST JSON', method: 'POST', path: '/api/orders', body: Buffer.from(JSON.stringify({ item: 'book', qty: 2, note: 'caf\u00e9 "quoted"' })), headers: [['content-type', 'application/json']], captured: true },
  { what: 'POST a 40960-byte body (cut at 32768 bytes)', method: 'POST', path: '/api/upload', body: Buffer.from('A'.repeat(40 * 1024)), headers: [['content-type', 'text/plain']], captured: true },
  { what: 'POST a binary body', method: 'POST', path: '/api/blob', body: Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 128) & 0xff)), headers: [['content-type', 'application/octet-stream']], captured: true },
  { what: 'a 404', method: 'GET', path: '/api/missing?status=404', captured: true },
  { what: 'a 500 (not captured: outside 100-499)', method: 'GET', path: '/api/broken?status=500', captured: false },
];

function hostArg(argv: string[]): HostName {
  const i = argv.indexOf('--host');
  const v = i >= 0 ? argv[i + 1] : 'envoy';
  if (v !== 'envoy' && v !== 'emulator') throw new Error(`--host must be envoy or emulator, not ${v}`);
  return v;
}

/** One line per transaction Edge received: id, method, path, status, and each side's body and headers. */
function summary(t: any): string {
  const side = (s: any) => {
    const bytes = decodeBody(s);
    const text = bytes.toString('utf8');
    const preview = Buffer.from(text, 'utf8').equals(bytes) ? JSON.stringify(text.length > 24 ? text.slice(0, 24) + '…' : text) : 'binary';
    return `${bytes.length} bytes ${preview}${isTruncated(s) ? ' (truncated)' : ''}, ${regularHeaders(s).length} headers`;
  };
  const rq = t.request, rs = t.response;
  return `  ${String(t['transaction-id']).padEnd(33)} ${String(rq['http-method']).padEnd(4)} ${String(rq['uri-query-fragment']).padEnd(26)} ` +
    `${rs['status-code']}  request ${side(rq)}; response ${side(rs)}`;
}

async function main(): Promise<number> {
  const host = hostArg(process.argv.slice(2));
  const header = host === 'envoy' ? `Envoy ${envoyVersion()} (the reference host)` : 'the emulator (proxy-wasm host on Node\'s V8)';
  const s: Subject = await startSubject({ host, config: { cequenceFlushIntervalMs: 200 }, mock: { tokenLifetimeSeconds: 1800 } });
  // Ctrl-C or a kill: stop the gateway and remove its conf.d before leaving.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void s.close().finally(() => process.exit(130)); });
  let exitCode = 0;
  try {
    console.log(`Gateway: ${header}, listening on ${s.url}`);
    console.log(`Upstream ${s.upstream.url}, mock Cequence auth ${s.mock.authUrl} edge ${s.mock.edgeUrl} (conf.d: ${s.dir})\n`);
    console.log('Calls through the gateway:');
    for (const c of CALLS) {
      const r = await s.send({ method: c.method, path: c.path, headers: c.headers, body: c.body });
      console.log(`  ${c.method.padEnd(4)} ${c.path.padEnd(28)} -> ${r.status} (response ${r.body.length} bytes)   ${c.what}`);
    }
    const expected = CALLS.filter((c) => c.captured).length;
    let received: any[] = [];
    try {
      received = (await s.mock.waitForTransactions(expected, 15000)) as any[];
    } catch {
      received = s.mock.transactions as any[];
    }
    // The Edge callback line is logged when the answer reaches the module, just after Edge recorded the batch.
    await s.waitForMessage(/^\[cequence\] Root: edge callback - /, 5000).catch(() => undefined);
    console.log(`\nGateway log (${host === 'envoy' ? "Envoy's own" : "the emulator's"}), [cequence] lines:`);
    for (const line of s.logs()) if (line.includes('[cequence]')) console.log('  ' + line);
    const skipped = CALLS.filter((c) => !c.captured);
    if (skipped.length) {
      console.log('\nNote: the policy logs "Captured <method> <path>" when the request arrives, before the response status is known.');
      console.log(`A response outside cequenceMinStatusCode..cequenceMaxStatusCode (100-499 by default) is then left out: ${skipped.map((c) => `${c.method} ${c.path}`).join(', ')}`);
      console.log('has a "Captured" line but no "Built transaction" line, and is not sent to Edge.');
    }
    console.log(`\nEdge received ${received.length} transaction(s) in ${s.mock.batches.length} batch(es) over ${new URL(s.mock.edgeUrl).protocol.replace(':', '').toUpperCase()}, ` +
      `${s.mock.tokenRequests.length} token request(s); decoded from Cequence's wire format:`);
    for (const t of received) console.log(summary(t));
    if (received.length !== expected) {
      console.error(`\nExpected ${expected} transactions at Edge, got ${received.length}.`);
      exitCode = 1;
    }
    const secrets = [s.mock.clientSecret, ...s.mock.issuedTokens.map((t) => t.token)];
    if (s.logs().some((l) => secrets.some((x) => l.includes(x)))) {
      console.error('\nA secret or token appeared in the gateway log.');
      exitCode = 1;
    }
  } finally {
    await s.close();
  }
  return exitCode;
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1); });
