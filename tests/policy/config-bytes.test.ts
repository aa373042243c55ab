// Emulator only (the proxy-wasm host API): plugin configuration bytes that no PolicyBinding can produce.
// A binding's spec.config is a YAML mapping, which both gateways (the emulator's and the Envoy one)
// serialise to a JSON object, so empty, malformed, binary, non-object or absurdly nested configuration
// reaches on_configure only through the host API. The built module must still log one error line and
// never trap, and traffic must pass untouched. Configurations a binding can carry are in
// config.test.ts, on every host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHost, type ProxyWasmHost } from '../../emulator/host/index.ts';

const wasm = readFileSync(new URL('../../policies-k8s/cequence_policy.wasm', import.meta.url));

const cequenceLines = (host: ProxyWasmHost) => host.logs.filter((l) => l.message.startsWith('[cequence]')).map((l) => l.message);

function passThrough(host: ProxyWasmHost) {
  const body = Buffer.from('x'.repeat(5000));
  const r = host.runStream({
    request: { headers: { ':method': 'POST', ':path': '/orders?id=7', ':authority': 'api.local', ':scheme': 'http', 'x-multi': ['a', 'b'] }, body: [body.subarray(0, 1000), body.subarray(1000)] },
    response: { headers: { ':status': '201', 'content-type': 'text/plain' }, body: ['created'] },
  });
  assert.equal(r.reset, undefined);
  assert.equal(r.localReply, undefined);
  assert.ok(r.upstream.body.equals(body), 'upstream got the request body unchanged');
  assert.deepEqual(r.upstream.headers!.filter(([k]) => k === 'x-multi'), [['x-multi', 'a'], ['x-multi', 'b']]);
  assert.equal(r.downstream.body.toString(), 'created');
  assert.deepEqual(r.downstream.headers!.find(([k]) => k === ':status'), [':status', '201']);
  for (const vm of host.vms) assert.equal(vm.failed, false, 'the VM did not trap');
}

const BAD: [string, string, RegExp][] = [
  ['empty configuration', '', /configuration is empty/],
  ['malformed JSON', '{"cequenceAuthUrl": "https://a", ', /not valid JSON/],
  ['binary garbage', Buffer.from([0xff, 0x00, 0x7b, 0x22]).toString('latin1'), /not valid JSON/],
  ['a JSON array', '[1,2,3]', /must be a JSON object/],
  ['deep nesting', '['.repeat(5000) + ']'.repeat(5000), /not valid JSON/],
];

for (const [what, config, reason] of BAD) {
  test(`${what}: one error line naming the cause, traffic passes, no trap`, async () => {
    const host = await createHost(wasm, { config, workers: 1 });
    try {
      const lines = cequenceLines(host);
      assert.equal(lines.length, 1, `exactly one line: ${JSON.stringify(lines)}`);
      assert.match(lines[0], /^\[cequence\] Invalid configuration, capture disabled: /);
      assert.match(lines[0], reason);
      const errorEntries = host.logs.filter((l) => l.message.startsWith('[cequence]') && l.level === 'error');
      assert.equal(errorEntries.length, 1, 'the line is logged at error level');
      passThrough(host);
      passThrough(host);
    } finally {
      host.close();
    }
  });
}
