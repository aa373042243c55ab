// The translator from deployed files to Envoy configuration, without starting Envoy: the emulator's
// planner underneath (clusters, defaults, targetRef), and how each piece looks in Envoy's terms.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { DOCKER_BUNDLE, K8S_BUNDLE, localDeploy } from '../../harness/local-deploy.ts';
import { bootstrap, clusterFor, SYSTEM_CA_BUNDLE, translateFiles } from '../../envoy-gateway/translate.ts';
import { parseEnvoyLine } from '../../envoy-gateway/log.ts';
import { editConfFile, K8S_WASM_PATH } from '../../harness/index.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function deploy(o: Partial<Parameters<typeof localDeploy>[0]> = {}): string {
  const d = localDeploy({
    upstreamUrl: 'http://127.0.0.1:9001/base', authUrl: 'https://auth.example.test', edgeUrl: 'https://127.0.0.1:9443', listenPort: 8081, ...o,
  });
  dirs.push(d);
  return d;
}

const hcm = (t: any) => t.lds.resources[0].filter_chains[0].filters[0].typed_config;
const wasmCfg = (t: any) => hcm(t).http_filters[0].typed_config.config;
const cluster = (t: any, name: string) => t.cds.resources.find((c: any) => c.name === name);

test('bootstrap: admin on 127.0.0.1:0, LDS and CDS from watched files', () => {
  const b = bootstrap('/tmp/x') as any;
  assert.deepEqual(b.admin.address.socket_address, { address: '127.0.0.1', port_value: 0 });
  assert.equal(b.dynamic_resources.lds_config.path_config_source.path, '/tmp/x/lds/lds.yaml');
  assert.equal(b.dynamic_resources.cds_config.path_config_source.watched_directory.path, '/tmp/x/cds');
});

test('docker bundle: inline module, root id, plugin named after the binding, JSON StringValue config with the definition defaults', () => {
  const t = translateFiles(deploy({ config: { enableDebugLogs: true } }), { listenPort: 0 }) as any;
  const impl = parseAllDocuments(readFileSync(path.join(DOCKER_BUNDLE, 'cequence_implementation.yaml'), 'utf8'))[0].toJS();
  const w = wasmCfg(t);
  assert.equal(hcm(t).http_filters[0].name, 'envoy.filters.http.wasm');
  assert.equal(w.name, 'cequence-policy-binding');
  assert.equal(w.root_id, impl.spec.properties.rootId.default);
  assert.equal(w.vm_config.runtime, 'envoy.wasm.runtime.v8');
  assert.equal(w.vm_config.code.local.inline_bytes, impl.spec.properties.implementation.default.slice('base64://'.length));
  assert.equal(w.configuration['@type'], 'type.googleapis.com/google.protobuf.StringValue');
  const cfg = JSON.parse(w.configuration.value);
  assert.equal(cfg.enableDebugLogs, true);
  assert.equal(cfg.cequenceEdgePath, '/api-transactions', 'a definition default is filled in');
  assert.equal(cfg.cequenceEdgeUrl, 'https://127.0.0.1:9443');
  assert.equal(hcm(t).http_filters.at(-1).name, 'envoy.filters.http.router');
  assert.equal(t.lds.resources[0].address.socket_address.port_value, 0);
});

test('k8s bundle: file:// through the wasm path map; a missing file is `no such file: cequence.wasm`', () => {
  const dir = deploy({ bundleDir: K8S_BUNDLE });
  const local = path.join(K8S_BUNDLE, 'cequence_policy.wasm');
  const t = translateFiles(dir, { wasmPathMap: { [K8S_WASM_PATH]: local } });
  assert.deepEqual(wasmCfg(t).vm_config.code, { local: { filename: local } });
  assert.throws(() => translateFiles(dir, {}), /no such file: cequence\.wasm/);
});

test('clusters: <name>.<namespace>.svc per Service, TLS origination for https:// (SNI for names, SAN check, CA file)', () => {
  const t = translateFiles(deploy({ namespace: 'payments' }), { caFile: '/ca.pem' });
  const auth = cluster(t, 'cequence-auth-service.payments.svc');
  const edge = cluster(t, 'cequence-edge-service.payments.svc');
  assert.ok(auth && edge);
  const aTls = auth.transport_socket.typed_config;
  assert.equal(aTls.sni, 'auth.example.test');
  assert.equal(auth.type, 'STRICT_DNS');
  assert.equal(auth.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 443);
  assert.equal(aTls.common_tls_context.validation_context.trusted_ca.filename, '/ca.pem');
  assert.deepEqual(aTls.common_tls_context.validation_context.match_typed_subject_alt_names, [{ san_type: 'DNS', matcher: { exact: 'auth.example.test' } }]);
  const eTls = edge.transport_socket.typed_config;
  assert.equal(eTls.sni, undefined, 'no SNI for an IP literal (RFC 6066)');
  assert.equal(eTls.common_tls_context.validation_context.match_typed_subject_alt_names[0].san_type, 'IP_ADDRESS');
  assert.equal(edge.type, 'STATIC');
  const up = t.cds.resources.find((c: any) => c.name.endsWith('.upstream'));
  assert.equal(up.transport_socket, undefined, 'http:// upstream: no TLS');
  assert.equal((clusterFor('x', 'https://h.test') as any).transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename, SYSTEM_CA_BUNDLE);
});

test('route: the listener base path is stripped and the upstream base path prepended (the emulator\'s rule)', () => {
  const t = translateFiles(deploy(), {}) as any;
  const route = hcm(t).route_config.virtual_hosts[0].routes[0];
  assert.deepEqual(route.match, { prefix: '/' });
  assert.equal(route.route.cluster, 'api.demo-api.default.upstream');
  const re = new RegExp(route.route.regex_rewrite.pattern.regex);
  assert.equal('/orders?x=1'.replace(re, route.route.regex_rewrite.substitution), '/base/orders?x=1');
});

test('targetRef rules: a label selector binds; a name that matches nothing gives `ApiInstance not found on <binding>`', () => {
  const dir = deploy();
  editConfFile(dir, 'api-instance.yaml', (docs) => { docs[0].metadata.labels = { team: 'orders' }; });
  editConfFile(dir, 'cequence_binding.yaml', (docs) => {
    docs.find((d) => d.kind === 'PolicyBinding').spec.targetRef = { kind: 'Selector', selector: { kind: 'ApiInstance', labels: { team: 'orders' } } };
  });
  assert.equal(translateFiles(dir).listeners[0].policies.length, 1);
  editConfFile(dir, 'cequence_binding.yaml', (docs) => {
    docs.find((d) => d.kind === 'PolicyBinding').spec.targetRef = { kind: 'ApiInstance', name: 'nope' };
  });
  const t = translateFiles(dir) as any;
  assert.ok(t.messages.some((m: any) => m.level === 'error' && m.message === 'ApiInstance not found on cequence-policy-binding'));
  assert.equal(hcm(t).http_filters.length, 1);
});

test('Envoy log lines parse, wasm lines with plugin and root id', () => {
  const e = parseEnvoyLine('[2026-01-02 03:04:05.678][123][info][wasm] [source/extensions/common/wasm/context.cc:1151] wasm log cequence-policy-binding main: [cequence] Captured GET / (2 headers)');
  assert.equal(e.level, 'info');
  assert.equal(e.thread, 123);
  assert.deepEqual(e.wasm, { plugin: 'cequence-policy-binding', rootId: 'main', text: '[cequence] Captured GET / (2 headers)' });
  const root = parseEnvoyLine('[2026-01-02 03:04:05.678][1][warning][wasm] [x.cc:1] wasm log main: [cequence] Root context initialized');
  assert.equal(root.level, 'warn');
  assert.deepEqual(root.wasm, { plugin: '', rootId: 'main', text: '[cequence] Root context initialized' }, 'a root context line carries no plugin name');
});
