// Deploys a built policy bundle into a local conf.d the way an operator does: the bundle's three YAML
// files, with the binding's placeholders replaced (Service addresses, credentials, target API), plus an
// ApiInstance file. The demo, the end-to-end tests and the benchmarks all start from the real bundle.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { tempDir } from '../emulator/temp.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DOCKER_BUNDLE = path.join(REPO_ROOT, 'policies-docker-linux');
export const K8S_BUNDLE = path.join(REPO_ROOT, 'policies-k8s');

export interface LocalDeployOptions {
  /** Bundle folder (default: policies-docker-linux, whose implementation carries the module inline). */
  bundleDir?: string;
  upstreamUrl: string;
  /** Addresses of cequence-auth-service / cequence-edge-service; cequenceAuthUrl / cequenceEdgeUrl follow them. */
  authUrl: string;
  edgeUrl: string;
  /** Fields merged into the binding's spec.config (e.g. credentials, enableDebugLogs, tuning). */
  config?: Record<string, unknown>;
  /** Namespace of every resource (and serviceNamespace unless config overrides it). */
  namespace?: string;
  apiName?: string;
  listenPort?: number;
  /** Replace the implementation (e.g. a base64:// of another module, for baselines). */
  implementation?: string;
  /** Leave the PolicyBinding out (a gateway with no filter at all). */
  withoutPolicy?: boolean;
}

export function localDeploy(o: LocalDeployOptions): string {
  const bundle = o.bundleDir ?? DOCKER_BUNDLE;
  const dir = tempDir('cequence-confd-'); // removed by Subject.close(), and at exit whatever happens
  const ns = o.namespace ?? 'default';
  const apiName = o.apiName ?? 'demo-api';
  const load = (f: string) => parseAllDocuments(readFileSync(path.join(bundle, f), 'utf8')).map((d) => d.toJS());
  const write = (f: string, docs: any[]) => writeFileSync(path.join(dir, f), docs.map((d) => stringify(d)).join('---\n'));

  const [definition] = load('cequence_definition.yaml');
  const [implementation] = load('cequence_implementation.yaml');
  const binding = load('cequence_binding.yaml');
  definition.metadata.namespace = ns;
  implementation.metadata.namespace = ns;
  if (o.implementation) implementation.spec.properties.implementation.default = o.implementation;
  for (const d of binding) {
    d.metadata.namespace = ns;
    if (d.kind === 'Service' && d.metadata.name === 'cequence-auth-service') d.spec.address = o.authUrl;
    if (d.kind === 'Service' && d.metadata.name === 'cequence-edge-service') d.spec.address = o.edgeUrl;
    if (d.kind === 'PolicyBinding') {
      d.spec.targetRef = { kind: 'ApiInstance', name: apiName };
      d.spec.config = { ...d.spec.config, cequenceAuthUrl: o.authUrl, cequenceEdgeUrl: o.edgeUrl, serviceNamespace: ns, ...(o.config ?? {}) };
    }
  }
  write('cequence_definition.yaml', [definition]);
  write('cequence_implementation.yaml', [implementation]);
  write('cequence_binding.yaml', o.withoutPolicy ? binding.filter((d) => d.kind !== 'PolicyBinding') : binding);
  write('api-instance.yaml', [{
    apiVersion: 'gateway.mulesoft.com/v1alpha1',
    kind: 'ApiInstance',
    metadata: { name: apiName, namespace: ns },
    spec: {
      address: `http://0.0.0.0:${o.listenPort ?? 8081}/`,
      services: { upstream: { address: o.upstreamUrl, routes: [{ config: { destinationPath: '/' } }] } },
    },
  }]);
  return dir;
}
