// Host tests with small AssemblyScript modules built in the test run with the pinned asc and
// the patched @solo-io/proxy-runtime SDK (same flags as the policy build).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createHost, disallowedImports, type ProxyWasmHost } from '../../emulator/host/index.ts';
import { compileAS, listen, messages, waitFor } from './helpers.ts';

const hosts: ProxyWasmHost[] = [];
after(() => { for (const h of hosts) h.close(); });

test('an AssemblyScript build that imports env.abort and env.seed is refused, naming the first', async () => {
  const wasm = compileAS('as_bad_imports', []);
  assert.deepEqual(disallowedImports(new WebAssembly.Module(wasm)).sort(), ['env.abort', 'env.seed']);
  // Envoy names only the first (tests/conformance/bad-imports.test.ts holds this against Envoy).
  await assert.rejects(createHost(wasm), (e: Error) => e.message === 'Failed to load Wasm module due to a missing import: env.abort');
});

test('SDK module: http call dispatched from the root context on tick, answered on the root context', async () => {
  const seen: string[] = [];
  const up = await listen((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${req.headers.host} ${req.headers['content-type']} ${body}`);
      res.end('accepted');
    });
  });
  try {
    const h = await createHost(compileAS('as_calls'), { config: 'cequence-edge-service.default.svc', clusters: { 'cequence-edge-service.default.svc': up.url } });
    hosts.push(h);
    assert.ok(messages(h).includes('configured cluster=cequence-edge-service.default.svc'));
    await waitFor(() => messages(h).find((m) => m.startsWith('response ')), 'http call response');
    assert.ok(messages(h).includes('dispatch result=0'));
    assert.ok(messages(h).some((m) => /^response headers=\d+ status=200 body=accepted code=0$/.test(m)), messages(h).join('\n'));
    assert.deepEqual(seen, ['POST /collect edge application/json {"n":1}']);
  } finally {
    await up.close();
  }
});

test('SDK module: unknown cluster gives BadArgument to the SDK and no callback', async () => {
  const h = await createHost(compileAS('as_calls'), { config: 'nope.default.svc', clusters: {} });
  hosts.push(h);
  await waitFor(() => messages(h).find((m) => m.startsWith('dispatch result=')), 'dispatch');
  assert.ok(messages(h).includes('dispatch result=2'));
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(!messages(h).some((m) => m.startsWith('response ')));
});

test('SDK module reads every body chunk through the host; several workers', async () => {
  const h = await createHost(compileAS('as_stream'), { workers: 2, config: '{}' });
  hosts.push(h);
  const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000 + i, 97 + (i % 26)));
  const total = chunks.reduce((a, c) => a + c.length, 0);
  for (let i = 0; i < 4; i++) {
    const r = h.runStream({
      request: { headers: { ':method': 'POST', ':path': `/items/${i}`, ':authority': 'api' }, body: ['{"a":1}'] },
      response: { headers: { ':status': '201' }, body: chunks },
    });
    assert.equal(r.worker, i % 2);
    assert.equal(r.downstream.body.length, total);
    assert.equal(r.downstream.chunks, chunks.length, 'chunks pass one by one');
  }
  const m = messages(h);
  assert.equal(m.filter((x) => x === `response body total=${total} chunks=20`).length, 4);
  assert.equal(m.filter((x) => x === `log request_bytes=7 response_bytes=${total}`).length, 4);
  assert.ok(m.includes('request /items/3 headers=3'));
  assert.ok(m.includes('response status=201'));
});
