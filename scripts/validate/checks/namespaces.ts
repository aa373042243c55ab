// Namespaces: serviceNamespace against the namespace of the Cequence resources, resources split across
// namespaces, and the module's ConfigMap outside the policy's namespace.
import { AUTH_SERVICE, EDGE_SERVICE, WASM_CONFIGMAP_NAME } from "../../bundle.mjs";
import type { Doc } from "../source.ts";
import { describe, nameOf, nsOf, type Binding, type Context } from "./context.ts";

/**
 * serviceNamespace vs metadata.namespace of the Cequence resources. The policy calls clusters
 * <service>.<serviceNamespace>.svc, and Flex names a Service's cluster after its own namespace: the
 * namespace that counts is the one the Services are in (else the binding's). Returns that namespace.
 */
export function checkNamespaces(ctx: Context, { b, config, cfg, ns }: Binding): string {
  const { at } = ctx;
  const { services, definition, implementations } = ctx.inputs;
  const used = [AUTH_SERVICE, EDGE_SERVICE].flatMap((n) => {
    const all = services.filter((s) => nameOf(s) === n);
    const here = all.filter((s) => nsOf(s) === ns);
    return here.length ? here : all;
  });
  const mine = [definition, ...implementations, ...used, b].filter((d): d is Doc => d !== undefined);
  const svcNs = [...new Set(used.map(nsOf))];
  const resourcesNs = svcNs.length === 1 ? svcNs[0] : nsOf(b);
  const nsPath = "serviceNamespace" in config ? [...cfg, "serviceNamespace"] : cfg;
  if (ns !== resourcesNs) {
    const inIt = mine.filter((d) => nsOf(d) === resourcesNs).map(describe);
    at("error", "namespace-mismatch", b, nsPath,
      `serviceNamespace mismatch: serviceNamespace is "${ns}"${"serviceNamespace" in config ? "" : " (the default)"} but the policy resources are in namespace "${resourcesNs}" (${inIt.join(", ")}): the policy would call clusters ${AUTH_SERVICE}.${ns}.svc and ${EDGE_SERVICE}.${ns}.svc, which do not exist`,
      `set serviceNamespace: ${resourcesNs}` + ("serviceNamespace" in config ? "" : " under spec.config") +
      `, or move everything to "${ns}" with ./update-namespace.sh ${ns} in the bundle folder (it sets every metadata.namespace and serviceNamespace together)`,
      false);
  }
  // Resources that disagree among themselves: each one away from the others is named at its namespace.
  for (const d of mine) {
    if (nsOf(d) === resourcesNs) continue;
    const loc = d.js.metadata && "namespace" in d.js.metadata ? ["metadata", "namespace"] : ["metadata"];
    at("error", "namespace-split", d, loc,
      `${describe(d)} is in namespace "${nsOf(d)}"${"namespace" in (d.js.metadata ?? {}) ? "" : " (the default)"} but the other Cequence resources are in "${resourcesNs}": the definition, implementation, Services and binding must share one namespace`,
      `set metadata.namespace: ${resourcesNs} here, or run ./update-namespace.sh <namespace> in the bundle folder to move every resource (and serviceNamespace) together`);
  }
  return resourcesNs;
}

/** The module's ConfigMap must be where the gateway pod is; the policy resources' namespace stands for it. */
export function checkConfigMapNamespace(ctx: Context, configMapNamespaces: Set<string>) {
  const { at } = ctx;
  const { configMaps } = ctx.inputs;
  if (configMapNamespaces.size === 1) {
    const [policyNs] = [...configMapNamespaces];
    for (const cm of configMaps.filter((c) => nameOf(c) === WASM_CONFIGMAP_NAME && nsOf(c) !== policyNs)) {
      at("warning", "configmap-namespace", cm, ["metadata", "namespace"],
        `ConfigMap ${WASM_CONFIGMAP_NAME} is in namespace "${nsOf(cm)}" but the policy resources are in "${policyNs}": a pod can only mount a ConfigMap of its own namespace`,
        `create it in the gateway pod's namespace, which should be the policy resources' one: ./update-namespace.sh ${policyNs} in policies-k8s/ (it moves the ConfigMap manifest too), or kubectl apply -n ${policyNs}`);
    }
  }
}
