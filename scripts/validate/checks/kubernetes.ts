// Kubernetes: the implementation's wasm path against the ConfigMap mount (Helm values, kubectl patch,
// Operator spec, Deployment), the ConfigMap itself, the module file, and the 1 MiB ConfigMap limit.
import { basename, dirname } from "node:path";
import { isSeq } from "yaml";
import { K8S_WASM_PATH, WASM_CONFIGMAP_NAME, WASM_CONFIGMAP_KEY, WASM_MOUNT_DIR, CONFIGMAP_MAX_BYTES } from "../../bundle.mjs";
import type { Doc } from "../source.ts";
import { MiB, isObj, nameOf, type Add, type At, type WasmFile } from "./context.ts";

interface Mount { doc: Doc; path: (string | number)[]; mountPath: string; volumeName: string; configMap?: string; how: string }

/** Volume mounts of a ConfigMap volume declared by the kit files (Helm values, JSON patch, Operator spec, Deployment). */
function kitMounts(docs: Doc[], at: At): Mount[] {
  const out: Mount[] = [];
  const collect = (d: Doc, volPath: (string | number)[], mountPath: (string | number)[], how: string) => {
    const vols = d.node(volPath), mounts = d.node(mountPath);
    const volJs: any[] = isSeq(vols) ? (d.doc.getIn(volPath) as any).toJSON() : [];
    const mountJs: any[] = isSeq(mounts) ? (d.doc.getIn(mountPath) as any).toJSON() : [];
    mountJs.forEach((m, i) => {
      if (!isObj(m) || typeof m.mountPath !== "string") return;
      const v = volJs.find((x) => isObj(x) && x.name === m.name);
      if (!v && volJs.length > 0) {
        at("error", "mount-volume-missing", d, [...mountPath, i, "name"], `${how}: volumeMount "${m.name}" has no volume of that name`, `add a volume {name: ${m.name}, configMap: {name: ${WASM_CONFIGMAP_NAME}}}, or use the volume's name here`);
      }
      out.push({ doc: d, path: [...mountPath, i, "mountPath"], mountPath: m.mountPath, volumeName: m.name, configMap: v?.configMap?.name, how });
    });
  };
  for (const d of docs) {
    const js = d.js;
    if (Array.isArray(js)) {
      // RFC 6902 JSON Patch (kubectl patch --type=json).
      const vols: any[] = [], mounts: { m: any; i: number }[] = [];
      js.forEach((op, i) => {
        if (!isObj(op) || typeof op.op !== "string" || typeof op.path !== "string" || !op.path.startsWith("/") ||
          !["add", "remove", "replace", "move", "copy", "test"].includes(op.op) || (["add", "replace", "test"].includes(op.op) && !("value" in op)) ||
          (["move", "copy"].includes(op.op) && typeof op.from !== "string")) {
          at("error", "json-patch", d, [i], `JSON Patch operation ${i} is not a valid RFC 6902 operation`, 'each entry needs "op" (add, remove, replace, move, copy, test), "path" starting with "/", and "value" for add/replace/test');
          return;
        }
        if (op.op === "add" && /^\/spec\/template\/spec\/volumes(\/-|\/\d+)?$/.test(op.path)) vols.push(...(op.path.endsWith("volumes") ? op.value : [op.value]));
        if (op.op === "add" && /^\/spec\/template\/spec\/containers\/\d+\/volumeMounts(\/-|\/\d+)?$/.test(op.path)) mounts.push({ m: op.value, i });
      });
      for (const { m, i } of mounts) {
        if (!isObj(m) || typeof m.mountPath !== "string") continue;
        const v = vols.find((x) => isObj(x) && x.name === m.name);
        if (!v) at("error", "mount-volume-missing", d, [i, "value", "name"], `kubectl patch: volumeMount "${m.name}" is added without a volume of that name`, `add an op {"op":"add","path":"/spec/template/spec/volumes/-","value":{"name":"${m.name}","configMap":{"name":"${WASM_CONFIGMAP_NAME}"}}}`);
        out.push({ doc: d, path: [i, "value", "mountPath"], mountPath: m.mountPath, volumeName: m.name, configMap: v?.configMap?.name, how: "kubectl patch" });
      }
      continue;
    }
    if (!isObj(js)) continue;
    if (("extraVolumes" in js || "extraVolumeMounts" in js) && !("kind" in js)) collect(d, ["extraVolumes"], ["extraVolumeMounts"], "Helm values");
    else if (isObj(js.spec) && ("volumes" in js.spec || "volumeMounts" in js.spec) && (!("kind" in js) || js.kind === "FlexGateway")) collect(d, ["spec", "volumes"], ["spec", "volumeMounts"], "Flex Gateway Operator spec");
    else if (["Deployment", "DaemonSet", "StatefulSet"].includes(js.kind) && Array.isArray(js.spec?.template?.spec?.containers)) {
      js.spec.template.spec.containers.forEach((_c: any, ci: number) => collect(d, ["spec", "template", "spec", "volumes"], ["spec", "template", "spec", "containers", ci, "volumeMounts"], `${js.kind} ${nameOf(d) ?? ""}`));
    }
  }
  return out;
}
export function checkWasmAndMounts(implementations: Doc[], configMaps: Doc[], docs: Doc[], wasmFiles: WasmFile[], at: At, add: Add) {
  const implPath = ["spec", "properties", "implementation", "default"];
  const fileImpls: { d: Doc; path: string }[] = [];
  for (const d of implementations) {
    const v = d.js.spec?.properties?.implementation?.default;
    if (typeof v !== "string") {
      at("error", "implementation", d, ["spec", "properties"], "the implementation has no spec.properties.implementation.default", `use cequence_implementation.yaml as built (file://${K8S_WASM_PATH} on Kubernetes, base64://… on Docker)`);
    } else if (v.startsWith("file://")) fileImpls.push({ d, path: v.slice(7) });
    else if (v.startsWith("base64://")) {
      const b = Buffer.from(v.slice(9), "base64");
      if (b.length < 8 || b.readUInt32BE(0) !== 0x0061736d) at("error", "implementation", d, implPath, "the base64:// implementation does not decode to a WebAssembly module", "use cequence_implementation.yaml from policies-docker-linux/ as built; do not edit or re-wrap the base64 text");
    }
  }

  // ConfigMaps holding the module.
  const cmKeys = new Map<string, string[]>();
  for (const cm of configMaps) {
    const name = nameOf(cm)!;
    const keys: string[] = [];
    let total = 0;
    if (cm.js.apiVersion !== "v1") at("error", "configmap", cm, ["apiVersion"], `ConfigMap ${name} has apiVersion ${JSON.stringify(cm.js.apiVersion)}`, "ConfigMaps are apiVersion: v1");
    for (const section of ["binaryData", "data"]) {
      const m = cm.js[section];
      if (m === undefined) continue;
      if (!isObj(m)) { at("error", "configmap", cm, [section], `ConfigMap ${name}: ${section} must be a map of key to value`, `write ${section}: {${WASM_CONFIGMAP_KEY}: <base64>}`); continue; }
      for (const [k, v] of Object.entries(m)) {
        keys.push(k);
        if (typeof v !== "string") continue;
        if (section === "binaryData") {
          const clean = v.replace(/\s+/g, "");
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
            at("error", "configmap-base64", cm, [section, k], `ConfigMap ${name}: binaryData ${k} is not valid base64`, "regenerate the manifest (npm run build, or kubectl create configmap … --dry-run=client -o yaml)");
            continue;
          }
          const bytes = Buffer.from(clean, "base64");
          total += bytes.length;
          const beside = wasmFiles.find((w) => dirname(w.src) === dirname(cm.src.path));
          if (k === WASM_CONFIGMAP_KEY && beside && !bytes.equals(beside.bytes)) {
            at("warning", "configmap-stale", cm, [section, k], `ConfigMap ${name}: binaryData ${k} differs from ${beside.display} beside it`, "regenerate the ConfigMap manifest from the current module (npm run build) so the cluster runs the module you tested");
          }
        } else total += Buffer.byteLength(v);
      }
    }
    cmKeys.set(name, keys);
    if (total > CONFIGMAP_MAX_BYTES) {
      at("error", "wasm-size", cm, ["binaryData"], `ConfigMap ${name} holds ${total} bytes (${MiB(total)}), over the 1 MiB (${CONFIGMAP_MAX_BYTES} bytes) ConfigMap limit: kubectl apply would be refused`,
        "shrink the module (release build), or ship it another way (an image layer or a volume) and point the implementation at that path");
    }
  }
  for (const w of wasmFiles) {
    if (w.size > CONFIGMAP_MAX_BYTES) {
      add("error", "wasm-size", w.display, { line: 1, column: 1 }, `${basename(w.display)} is ${w.size} bytes (${MiB(w.size)}), over the 1 MiB (${CONFIGMAP_MAX_BYTES} bytes) ConfigMap limit: kubectl create configmap would be refused`,
        "shrink the module (release build), or ship it another way (an image layer or a volume) and point the implementation at that path");
    }
    if (w.bytes.length < 8 || w.bytes.readUInt32BE(0) !== 0x0061736d) {
      add("error", "wasm-invalid", w.display, { line: 1, column: 1 }, `${basename(w.display)} is not a WebAssembly module`, "use cequence_policy.wasm from the bundle as built");
    }
  }

  // Which files do the mounts provide? Mounts of ConfigMap volumes in the input, else the documented one.
  const mounts = kitMounts(docs, at).filter((m) => m.configMap !== undefined || m.volumeName === WASM_CONFIGMAP_NAME);
  for (const m of mounts) {
    if (m.configMap && configMaps.length > 0 && !cmKeys.has(m.configMap)) {
      at("error", "mount-configmap", m.doc, m.path, `${m.how}: the volume "${m.volumeName}" refers to ConfigMap "${m.configMap}", which is not in the input (${[...cmKeys.keys()].join(", ")})`, `use configMap: {name: ${WASM_CONFIGMAP_NAME}}`);
    }
  }
  const provided = (m: Mount) => (cmKeys.get(m.configMap ?? WASM_CONFIGMAP_NAME) ?? [WASM_CONFIGMAP_KEY]).map((k) => `${m.mountPath.replace(/\/+$/, "")}/${k}`);
  const documented = mounts.length ? mounts.flatMap(provided) : [`${WASM_MOUNT_DIR}/${(cmKeys.get(WASM_CONFIGMAP_NAME) ?? [WASM_CONFIGMAP_KEY]).includes(WASM_CONFIGMAP_KEY) ? WASM_CONFIGMAP_KEY : cmKeys.get(WASM_CONFIGMAP_NAME)![0]}`];
  for (const { d, path } of fileImpls) {
    if (documented.includes(path)) continue;
    const file = basename(path);
    at("error", "wasm-path", d, implPath,
      `the implementation reads file://${path}, but the ${WASM_CONFIGMAP_NAME} ConfigMap mount provides only ${documented.join(", ")}: the gateway would fail with "no such file: cequence.wasm" (${file} is not in the pod)`,
      `set implementation to file://${K8S_WASM_PATH} (policies-k8s/cequence_implementation.yaml as built) and mount the ${WASM_CONFIGMAP_NAME} ConfigMap (key ${WASM_CONFIGMAP_KEY}) at ${WASM_MOUNT_DIR}`);
  }
  const wanted = fileImpls.length ? fileImpls.map((f) => f.path) : [K8S_WASM_PATH];
  for (const m of mounts) {
    if (provided(m).some((p) => wanted.includes(p))) continue;
    at("error", "wasm-path", m.doc, m.path,
      `${m.how}: the ${m.volumeName} volume is mounted at ${m.mountPath}, but the implementation reads ${wanted.join(", ")}: the gateway would fail with "no such file: cequence.wasm"`,
      `mount it at ${dirname(wanted[0])} (mountPath: ${dirname(wanted[0])})`);
  }
}
