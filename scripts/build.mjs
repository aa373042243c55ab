// `npm run build`: compiles the policy and writes both deployable bundles and the tarball.
// Deterministic: the same sources give byte-identical outputs (CI rebuilds and compares).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, chmodSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfigSchema, renderFields } from "./config-fields.mjs";
import {
  renderDefinition, renderImplementation, renderBinding, K8S_WASM_PATH,
  renderWasmConfigMap, renderHelmValues, renderKubectlPatch, renderOperatorVolumes, KIT_FILES,
  VALIDATOR_FILE, bundleValidator,
} from "./bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const r = (...p) => join(root, ...p);
const step = (msg) => process.stdout.write(`build: ${msg}\n`);

const schema = loadConfigSchema();
writeFileSync(r("assembly/config/fields.generated.ts"), renderFields(schema));
step("config tables generated from schema/config.schema.json");

execFileSync(process.execPath, [r("node_modules/assemblyscript/bin/asc.js"), "assembly/index.ts", "--target", "release"], { cwd: root, stdio: "inherit" });
const wasm = readFileSync(r("build/cequence_policy.wasm"));
step(`compiled cequence_policy.wasm (${wasm.length} bytes)`);

const docker = r("policies-docker-linux");
const k8s = r("policies-k8s");
for (const d of [docker, k8s]) mkdirSync(d, { recursive: true });

writeFileSync(join(k8s, "cequence_policy.wasm"), wasm);
const definition = renderDefinition(schema);
const binding = renderBinding(schema);
for (const d of [docker, k8s]) {
  writeFileSync(join(d, "cequence_definition.yaml"), definition);
  writeFileSync(join(d, "cequence_binding.yaml"), binding);
}
writeFileSync(join(docker, "cequence_implementation.yaml"), renderImplementation("base64://" + wasm.toString("base64"), "docker"));
writeFileSync(join(k8s, "cequence_implementation.yaml"), renderImplementation("file://" + K8S_WASM_PATH, "k8s"));
// The Kubernetes kit: the ConfigMap manifest and the three ways of mounting it (Helm, kubectl patch, Operator).
writeFileSync(join(k8s, KIT_FILES.configMap), renderWasmConfigMap(wasm));
writeFileSync(join(k8s, KIT_FILES.helmValues), renderHelmValues());
writeFileSync(join(k8s, KIT_FILES.kubectlPatch), renderKubectlPatch());
writeFileSync(join(k8s, KIT_FILES.operatorVolumes), renderOperatorVolumes());
copyFileSync(r("update-namespace.sh"), join(k8s, "update-namespace.sh"));
chmodSync(join(k8s, "update-namespace.sh"), 0o755);
step("wrote policies-docker-linux/ and policies-k8s/");

// The preflight validator as one dependency-free file beside the definition it reads its schema from:
// `node cequence-validate.mjs <path>…` with Node >= 18, from the extracted tarball, no npm install.
const validator = await bundleValidator();
for (const d of [docker, k8s]) writeFileSync(join(d, VALIDATOR_FILE), validator);
step(`bundled ${VALIDATOR_FILE} (${validator.length} bytes) into both folders`);

// Fixed order, owners, modes and mtimes, and gzip without a name or timestamp: a reproducible tarball.
const tarball = r("cequence-local-mode-flexgateway.tar.gz");
rmSync(tarball, { force: true });
const tar = execFileSync("tar", [
  "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
  "--mode=u=rwX,go=rX", "--format=gnu", "-cf", "-", "policies-docker-linux", "policies-k8s",
], { cwd: root, maxBuffer: 64 << 20 });
const gz = execFileSync("gzip", ["-9", "-n", "-c"], { input: tar, maxBuffer: 64 << 20 });
writeFileSync(tarball, gz);
step(`packed ${tarball.slice(root.length + 1)} (${gz.length} bytes)`);
