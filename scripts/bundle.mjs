// Renders the three Flex Gateway resources of the bundle (definition, implementation, binding) as YAML
// documents. Pure functions of the config schema and the wasm bytes: the build writes them, and the
// tests and the validator call the same functions, so there is one description of the bundle.
import { Document, stringify } from "yaml";

export const API_VERSION = "gateway.mulesoft.com/v1alpha1";
export const DEFINITION_NAME = "cequence-passive-capture";
export const IMPLEMENTATION_NAME = "cequence-passive-capture-flex";
export const BINDING_NAME = "cequence-policy-binding";
export const AUTH_SERVICE = "cequence-auth-service";
export const EDGE_SERVICE = "cequence-edge-service";
export const DEFAULT_NAMESPACE = "default";
export const K8S_WASM_PATH = "/etc/mulesoft/flex-gateway/wasm/cequence.wasm";
export const ROOT_ID = "main";

// Placeholders an operator replaces (the validator flags any left in).
export const PLACEHOLDERS = {
  authAddress: "https://auth.your-cequence-tenant.example.com",
  edgeAddress: "https://edge.your-cequence-tenant.example.com",
  apiInstance: "your-api-instance",
  clientId: "REPLACE_WITH_CEQUENCE_CLIENT_ID",
  clientSecret: "REPLACE_WITH_CEQUENCE_CLIENT_SECRET",
  authPath: "/auth/realms/your-realm/protocol/openid-connect/token",
};

const YAML_OPTIONS = { lineWidth: 0 };

/** spec.properties of the definition: every field with type, default, description and bounds. */
export function definitionProperties(schema) {
  const props = {};
  for (const [name, p] of Object.entries(schema.properties)) {
    const out = { type: p.type };
    for (const k of ["format", "pattern", "minimum", "maximum", "maxLength", "items", "maxItems", "default", "description"]) {
      if (p[k] !== undefined) out[k] = p[k];
    }
    props[name] = out;
  }
  return props;
}

export function renderDefinition(schema) {
  const doc = new Document({
    apiVersion: API_VERSION,
    kind: "Extension",
    metadata: { name: DEFINITION_NAME, namespace: DEFAULT_NAMESPACE },
    spec: {
      extends: [{ name: "extension-definition" }],
      properties: definitionProperties(schema),
      required: [...(schema.required || [])],
    },
  });
  doc.commentBefore = " Cequence UAP passive capture: policy definition (the configuration schema). Do not edit.";
  return doc.toString(YAML_OPTIONS);
}

/** implementation: "base64://…" (Docker: the three YAML files are enough) or "file://…" (Kubernetes ConfigMap). */
export function renderImplementation(implementation, platform) {
  const doc = new Document({
    apiVersion: API_VERSION,
    kind: "Extension",
    metadata: { name: IMPLEMENTATION_NAME, namespace: DEFAULT_NAMESPACE },
    spec: {
      extends: [{ name: DEFINITION_NAME }, { name: "envoy-filter" }, { name: "proxy-wasm-filter" }],
      properties: {
        rootId: { type: "string", default: ROOT_ID },
        implementation: { type: "string", default: implementation },
      },
    },
  });
  doc.commentBefore = platform === "k8s"
    ? ` Cequence UAP passive capture: implementation. Do not edit.\n The module is read from ${K8S_WASM_PATH}: mount the cequence-wasm ConfigMap at\n /etc/mulesoft/flex-gateway/wasm before applying (see README, "Deploying on Kubernetes").`
    : " Cequence UAP passive capture: implementation with the module inline. Do not edit.";
  return doc.toString(YAML_OPTIONS);
}

export function renderBinding(schema) {
  const ns = DEFAULT_NAMESPACE;
  const service = (name, address, what) => {
    const doc = new Document({ apiVersion: API_VERSION, kind: "Service", metadata: { name, namespace: ns }, spec: { address } });
    doc.commentBefore = ` ${what}\n REPLACE spec.address; it must be exactly equal to ${name === AUTH_SERVICE ? "cequenceAuthUrl" : "cequenceEdgeUrl"} below.`;
    return doc;
  };
  const defaults = (n) => schema.properties[n].default;
  const config = {
    cequenceAuthUrl: PLACEHOLDERS.authAddress,
    cequenceEdgeUrl: PLACEHOLDERS.edgeAddress,
    serviceNamespace: ns,
    cequenceAuthEnabled: defaults("cequenceAuthEnabled"),
    cequenceClientId: PLACEHOLDERS.clientId,
    cequenceClientSecret: PLACEHOLDERS.clientSecret,
    cequenceAuthPath: PLACEHOLDERS.authPath,
    cequenceEdgePath: defaults("cequenceEdgePath"),
    enableDebugLogs: defaults("enableDebugLogs"),
    cequenceMinStatusCode: defaults("cequenceMinStatusCode"),
    cequenceMaxStatusCode: defaults("cequenceMaxStatusCode"),
  };
  const binding = new Document({
    apiVersion: API_VERSION,
    kind: "PolicyBinding",
    metadata: { name: BINDING_NAME, namespace: ns },
    spec: {
      targetRef: { kind: "ApiInstance", name: PLACEHOLDERS.apiInstance },
      policyRef: { kind: "Extension", name: IMPLEMENTATION_NAME },
      config,
    },
  });
  binding.commentBefore =
    " Applies the policy to an API instance.\n" +
    " REPLACE spec.targetRef.name with the name of your ApiInstance, or target several APIs by label:\n" +
    "   targetRef: { kind: Selector, selector: { labels: { cequence: enabled } } }";
  const cfg = ["spec", "config"];
  const pairComment = (key, text) => {
    const map = binding.getIn(cfg, true);
    const pair = map.items.find((p) => p.key.value === key);
    pair.key.commentBefore = text;
  };
  pairComment("cequenceAuthUrl", " Must be exactly equal to spec.address of cequence-auth-service above.");
  pairComment("cequenceEdgeUrl", " Must be exactly equal to spec.address of cequence-edge-service above.");
  pairComment("serviceNamespace", " Must equal metadata.namespace of every resource in these files (./update-namespace.sh <ns> keeps them in step).");
  pairComment("cequenceClientId", " From the Cequence UAP portal: General Settings > User Management > Clients.");
  pairComment("cequenceClientSecret", " Keep the secret out of Git: commit this placeholder and write the secret in at deploy time\n" +
    " (from a CI or Kubernetes secret, into a copy only the deploying user can read; Flex Gateway does not\n" +
    " substitute variables here). See README, \"Keeping the client secret out of Git\".");
  pairComment("enableDebugLogs", " true logs one line per request and per batch: troubleshooting only.");
  pairComment("cequenceMinStatusCode", " Responses outside this range are not captured (5xx are excluded by default).");
  const docs = [
    service(AUTH_SERVICE, PLACEHOLDERS.authAddress, "Cequence authentication endpoint (OAuth2 client credentials)."),
    service(EDGE_SERVICE, PLACEHOLDERS.edgeAddress, "Cequence Edge or Bridge transaction endpoint."),
    binding,
  ];
  return docs.map((d) => d.toString(YAML_OPTIONS)).join("---\n");
}

// ---- Kubernetes kit (policies-k8s/): the ConfigMap holding the module and the three ways to mount it.
// The implementation reads K8S_WASM_PATH = WASM_MOUNT_DIR/WASM_CONFIGMAP_KEY: a ConfigMap named
// WASM_CONFIGMAP_NAME with the key WASM_CONFIGMAP_KEY, mounted at WASM_MOUNT_DIR, provides exactly that file.
export const WASM_CONFIGMAP_NAME = "cequence-wasm";
export const WASM_CONFIGMAP_KEY = "cequence.wasm";
export const WASM_MOUNT_DIR = "/etc/mulesoft/flex-gateway/wasm";
/** Kubernetes refuses a ConfigMap whose data exceeds 1 MiB (etcd object size limit). */
export const CONFIGMAP_MAX_BYTES = 1048576;
export const KIT_FILES = {
  configMap: "cequence-wasm-configmap.yaml",
  helmValues: "helm-values-cequence-wasm.yaml",
  kubectlPatch: "kubectl-patch-cequence-wasm.json",
  operatorVolumes: "flexgateway-operator-volumes.yaml",
};
if (`${WASM_MOUNT_DIR}/${WASM_CONFIGMAP_KEY}` !== K8S_WASM_PATH) throw new Error("K8S_WASM_PATH and the ConfigMap mount disagree");

const wasmVolume = () => ({ name: WASM_CONFIGMAP_NAME, configMap: { name: WASM_CONFIGMAP_NAME } });
const wasmVolumeMount = () => ({ name: WASM_CONFIGMAP_NAME, mountPath: WASM_MOUNT_DIR, readOnly: true });

/** Declarative ConfigMap with the module as binaryData, so the install is `kubectl apply`-able from Git. */
export function renderWasmConfigMap(wasm) {
  const doc = new Document({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: WASM_CONFIGMAP_NAME,
      namespace: DEFAULT_NAMESPACE,
      labels: { "app.kubernetes.io/name": "cequence-passive-capture", "app.kubernetes.io/component": "wasm" },
    },
    binaryData: { [WASM_CONFIGMAP_KEY]: Buffer.from(wasm).toString("base64") },
  });
  doc.commentBefore =
    " The Cequence policy module (cequence_policy.wasm) as a ConfigMap. GENERATED by the build: do not edit.\n" +
    " Same as: kubectl create configmap cequence-wasm --from-file=cequence.wasm=./cequence_policy.wasm\n" +
    "   kubectl apply -f cequence-wasm-configmap.yaml\n" +
    ` Mount it at ${WASM_MOUNT_DIR} in the Flex Gateway pod (helm-values-cequence-wasm.yaml,\n` +
    ` kubectl-patch-cequence-wasm.json or flexgateway-operator-volumes.yaml) so that ${K8S_WASM_PATH} exists.`;
  return doc.toString(YAML_OPTIONS);
}

/** Helm values for the mulesoft/flex-gateway chart: `helm upgrade … --reuse-values -f <this file>`. */
export function renderHelmValues() {
  const doc = new Document({ extraVolumes: [wasmVolume()], extraVolumeMounts: [wasmVolumeMount()] });
  doc.commentBefore =
    " Helm values mounting the cequence-wasm ConfigMap into Flex Gateway. GENERATED by the build.\n" +
    "   helm upgrade flex-gateway mulesoft/flex-gateway --namespace default --reuse-values -f helm-values-cequence-wasm.yaml\n" +
    " Helm replaces lists rather than merging them: if your values already set extraVolumes or\n" +
    " extraVolumeMounts, add these entries to your own lists instead of passing this file.";
  return doc.toString(YAML_OPTIONS);
}

/** RFC 6902 JSON Patch for the flex-gateway Deployment: `kubectl patch deployment … --type=json --patch-file <this file>`. */
export function renderKubectlPatch() {
  const ops = [
    { op: "add", path: "/spec/template/spec/volumes/-", value: wasmVolume() },
    { op: "add", path: "/spec/template/spec/containers/0/volumeMounts/-", value: wasmVolumeMount() },
  ];
  return JSON.stringify(ops, null, 2) + "\n";
}

/** The Flex Gateway Operator (OpenShift) FlexGateway resource's spec.volumes / spec.volumeMounts. */
export function renderOperatorVolumes() {
  const doc = new Document({ spec: { volumes: [wasmVolume()], volumeMounts: [wasmVolumeMount()] } });
  doc.commentBefore =
    " Flex Gateway Operator (OpenShift): add these entries under spec of your FlexGateway resource.\n" +
    " GENERATED by the build.\n" +
    "   oc edit flexgateway <gateway-name> --namespace default\n" +
    " or, when the resource has no spec.volumes / spec.volumeMounts of its own yet (a merge patch replaces lists):\n" +
    "   oc patch flexgateway <gateway-name> --namespace default --type=merge --patch-file flexgateway-operator-volumes.yaml";
  return doc.toString(YAML_OPTIONS);
}

// ---- The preflight validator, bundled (scripts/validate/cli.ts and what it imports: yaml, ajv, ajv-formats)
// into one ES module for Node >= 18. Deterministic: esbuild's output depends only on the sources and
// these options (paths in its comments are relative to the repository; no timestamps).
export const VALIDATOR_FILE = "cequence-validate.mjs";

export async function bundleValidator() {
  const { build } = await import("esbuild");
  const { fileURLToPath } = await import("node:url");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const out = await build({
    absWorkingDir: root,
    entryPoints: ["scripts/validate/cli.ts"],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node18",
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    logLevel: "silent",
    define: { __CEQUENCE_VALIDATE_BUNDLE__: "true" },
    // The repository's schema reader (and its command-line side) stays out: the bundle reads the
    // definition beside it instead (checks/config.ts, fallbackSchema).
    plugins: [{
      name: "no-repo-schema",
      setup(b) {
        b.onResolve({ filter: /config-fields\.mjs$/ }, () => ({ path: "config-fields", namespace: "cq-stub" }));
        b.onLoad({ filter: /.*/, namespace: "cq-stub" }, () => ({
          contents: 'export function loadConfigSchema() { throw new Error("the bundled validator reads the definition beside it"); }',
          loader: "js",
        }));
      },
    }],
    // CommonJS dependencies (ajv) call require(); an ES module has none of its own.
    banner: {
      js:
        "#!/usr/bin/env node\n" +
        "// cequence-validate: preflight checks of a Cequence policy bundle / Flex Gateway configuration.\n" +
        "// GENERATED by the build (scripts/validate/, bundled with its dependencies). Usage: node cequence-validate.mjs --help\n" +
        'import { createRequire as __cqCreateRequire } from "node:module"; const require = __cqCreateRequire(import.meta.url);',
    },
  });
  if (out.errors.length) throw new Error(`esbuild: ${out.errors.map((e) => e.text).join("; ")}`);
  return Buffer.from(out.outputFiles[0].contents);
}
