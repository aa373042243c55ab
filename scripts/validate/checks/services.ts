// The Cequence URLs and Services: each URL is http(s), each Service is in the input with a spec.address,
// and each URL equals its Service's address (the policy finds the Service by it).
import { AUTH_SERVICE, EDGE_SERVICE } from "../../bundle.mjs";
import { unrenderedReason } from "./secrets.ts";
import { nameOf, nsOf, where, type Binding, type Context } from "./context.ts";

export function checkUrls(ctx: Context, { b, config, cfg }: Binding) {
  const { at } = ctx;
  for (const f of ["cequenceAuthUrl", "cequenceEdgeUrl"]) {
    const v = config[f];
    if (typeof v === "string" && v !== "" && !unrenderedReason(v) && !/^https?:\/\/[^/]/i.test(v)) {
      at("error", "url-scheme", b, [...cfg, f], `${f} "${v}" is not an http:// or https:// URL`, `write the full URL with its scheme, e.g. https://${v.replace(/^[a-z]+:\/\//i, "")}`);
    }
  }
}

/** Service addresses. */
export function checkServices(ctx: Context, { b, config, cfg, authEnabled, ns }: Binding) {
  const { at } = ctx;
  const { services } = ctx.inputs;
  for (const [svcName, field] of [[AUTH_SERVICE, "cequenceAuthUrl"], [EDGE_SERVICE, "cequenceEdgeUrl"]] as const) {
    const url = config[field];
    if (svcName === AUTH_SERVICE && authEnabled === false && url === undefined) continue;
    const candidates = services.filter((s) => nameOf(s) === svcName);
    const svc = candidates.find((s) => nsOf(s) === ns) ?? candidates[0];
    if (!svc) {
      at("error", "service-missing", b, "spec" in b.js ? [...cfg, field] : [],
        `Service ${svcName} is not in the input: the policy sends to cluster ${svcName}.${ns}.svc, which would not exist (the call fails at once, nothing is sent)`,
        `add the ${svcName} Service (kind: Service, metadata.namespace: ${ns}, spec.address equal to ${field}) from cequence_binding.yaml as built`);
      continue;
    }
    const address = svc.js.spec?.address;
    if (typeof address !== "string" || address === "") {
      at("error", "service-address", svc, ["spec", "address"], `Service ${svcName} has no spec.address`, `set spec.address to the URL of your Cequence ${svcName === AUTH_SERVICE ? "authentication endpoint" : "Edge or Bridge"} (and the same value in ${field})`);
      continue;
    }
    if (typeof url === "string" && url !== address) {
      const near = url.replace(/\/+$/, "") === address.replace(/\/+$/, "") ? " (they differ only by a trailing slash)" : "";
      at("error", "url-mismatch", b, [...cfg, field],
        `${field} "${url}" is not equal to spec.address "${address}" of Service ${svcName} (${where(svc, ["spec", "address"])})${near}`,
        `make ${field} and the Service's spec.address exactly equal (same scheme, host, port and path); the policy finds the Service by this URL`);
    }
  }
}
