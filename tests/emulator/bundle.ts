// Writes a conf.d directory the way an operator deploys it: the policy bundle's three YAML
// files (definition, implementation, binding) plus an ApiInstance file.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { tempDir } from '../../emulator/temp.ts';

export interface BundleOptions {
  /** base64://… is generated from these bytes unless `implementation` is given. */
  wasm?: Buffer;
  implementation?: string;
  upstreamUrl: string;
  listenPort?: number;
  apiName?: string;
  apiLabels?: Record<string, string>;
  targetRef?: unknown;
  namespace?: string;
  services?: Record<string, string>;
  config?: Record<string, unknown>;
  definitionProperties?: Record<string, unknown>;
}

export function writeBundle(o: BundleOptions): string {
  const dir = tempDir('emu-confd-'); // removed when the test file's process exits
  const ns = o.namespace ?? 'default';
  const docs = (...d: unknown[]) => d.map((x) => stringify(x)).join('---\n');
  writeFileSync(path.join(dir, 'test_definition.yaml'), docs({
    apiVersion: 'gateway.mulesoft.com/v1alpha1',
    kind: 'Extension',
    metadata: { name: 'test-policy', namespace: ns },
    spec: {
      extends: [{ name: 'extension-definition', namespace: 'default' }],
      properties: o.definitionProperties ?? { mode: { type: 'string', default: 'defaulted' } },
    },
  }));
  writeFileSync(path.join(dir, 'test_implementation.yaml'), docs({
    apiVersion: 'gateway.mulesoft.com/v1alpha1',
    kind: 'Extension',
    metadata: { name: 'test-policy-flex', namespace: ns },
    spec: {
      extends: [{ name: 'test-policy' }, { name: 'envoy-filter' }, { name: 'proxy-wasm-filter' }],
      properties: {
        rootId: { type: 'string', default: 'main' },
        implementation: { type: 'string', default: o.implementation ?? `base64://${o.wasm!.toString('base64')}` },
      },
    },
  }));
  const services = o.services ?? {};
  writeFileSync(path.join(dir, 'test_binding.yaml'), docs(
    ...Object.entries(services).map(([name, address]) => ({
      apiVersion: 'gateway.mulesoft.com/v1alpha1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { address },
    })),
    {
      apiVersion: 'gateway.mulesoft.com/v1alpha1',
      kind: 'PolicyBinding',
      metadata: { name: 'cequence-policy-binding', namespace: ns },
      spec: {
        targetRef: o.targetRef ?? { name: o.apiName ?? 'my-api' },
        policyRef: { name: 'test-policy-flex' },
        config: o.config ?? {},
      },
    },
  ));
  writeFileSync(path.join(dir, 'api-instance.yaml'), docs({
    apiVersion: 'gateway.mulesoft.com/v1alpha1',
    kind: 'ApiInstance',
    metadata: { name: o.apiName ?? 'my-api', namespace: ns, labels: o.apiLabels ?? {} },
    spec: {
      address: `http://0.0.0.0:${o.listenPort ?? 8081}/`,
      services: { upstream: { address: o.upstreamUrl, routes: [{ config: { destinationPath: '/' } }] } },
    },
  }));
  return dir;
}
