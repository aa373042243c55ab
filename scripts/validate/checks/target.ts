// What a binding points at: spec.targetRef (an ApiInstance by name, or a label selector that matches
// one) and spec.policyRef (one of the implementations).
import { IMPLEMENTATION_NAME } from "../../bundle.mjs";
import type { Doc } from "../source.ts";
import { isObj, nameOf, nsOf, nearest, where, type At, type Binding, type Context } from "./context.ts";

export function checkTargetRef(b: Doc, apiInstances: Doc[], extra: string[], at: At) {
  const bname = nameOf(b)!;
  const tr = b.js.spec?.targetRef;
  const bns = nsOf(b);
  const inNs = apiInstances.filter((a) => nsOf(a) === bns);
  const extraNames = extra.map((e) => (e.includes("/") ? e : `${bns}/${e}`)).filter((e) => e.startsWith(bns + "/")).map((e) => e.slice(bns.length + 1));
  const known = [...inNs.map((a) => nameOf(a)!), ...extraNames];
  const listFix = `On Docker: grep -r "kind: ApiInstance" /etc/mulesoft/flex-gateway/conf.d/; on Kubernetes or ROSA: kubectl get apiinstances -n ${bns}`;
  if (!isObj(tr)) {
    at("error", "targetref", b, ["spec", "targetRef"], `PolicyBinding ${bname} has no spec.targetRef`, "add spec.targetRef: {kind: ApiInstance, name: <your API instance>} or a label selector");
    return;
  }
  const noneKnown = apiInstances.length === 0 && extra.length === 0;
  const skipNote = (what: string) =>
    at("info", "targetref-unchecked", b, ["spec", "targetRef"], `no ApiInstance in the input: cannot check that ${what}`,
      `pass the ApiInstance files too (or the gateway's conf.d directory), or --api-instance <name> for instances that exist in the cluster. ${listFix}`);
  if (tr.kind === "Selector" || "selector" in tr) {
    const labels = tr.selector?.labels ?? tr.selector?.matchLabels;
    if (!isObj(labels) || Object.keys(labels).length === 0) {
      at("error", "selector-empty", b, ["spec", "targetRef", "selector"], "spec.targetRef is a selector without labels", "add spec.targetRef.selector.labels, e.g. {cequence: enabled}, and the same label on the ApiInstances to capture");
      return;
    }
    if (noneKnown || apiInstances.length === 0) { skipNote(`the selector labels ${JSON.stringify(labels)} match an ApiInstance`); return; }
    const matches = inNs.filter((a) => Object.entries(labels).every(([k, v]) => isObj(a.js.metadata.labels) && String(a.js.metadata.labels[k]) === String(v)));
    if (matches.length === 0) {
      const labelPath = tr.selector?.labels ? ["spec", "targetRef", "selector", "labels"] : ["spec", "targetRef", "selector", "matchLabels"];
      const yamlLabels = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(", ");
      at("error", "selector-no-match", b, labelPath,
        `the targetRef selector labels {${yamlLabels}} match no ApiInstance in namespace "${bns}" (ApiInstances in the input: ${inNs.map((a) => nameOf(a)).join(", ") || "none in this namespace"}): the policy applies to no API`,
        `add the labels under metadata.labels of each ApiInstance to capture (e.g. ${where(inNs[0] ?? apiInstances[0], ["metadata"])}), or fix the selector`);
    }
    return;
  }
  const name = tr.name;
  if (typeof name !== "string" || name === "") {
    at("error", "targetref", b, ["spec", "targetRef"], "spec.targetRef has no name", `set spec.targetRef.name to your ApiInstance's name. ${listFix}`);
    return;
  }
  if (noneKnown) { skipNote(`ApiInstance "${name}" exists`); return; }
  if (known.includes(name)) return;
  const elsewhere = apiInstances.filter((a) => nameOf(a) === name);
  const near = nearest(name, known);
  at("error", "apiinstance-not-found", b, ["spec", "targetRef", "name"],
    `ApiInstance not found on ${bname}: spec.targetRef names "${name}", which is not an ApiInstance in namespace "${bns}"` +
    (elsewhere.length ? ` (there is one in namespace "${nsOf(elsewhere[0])}", ${where(elsewhere[0], ["metadata", "name"])})` : "") +
    ` (ApiInstances in the input: ${known.join(", ") || "none in this namespace"})`,
    (near ? `did you mean "${near}"? ` : "") + `set spec.targetRef.name to an existing ApiInstance's metadata.name. ${listFix}`);
}

export function checkPolicyRef(ctx: Context, { b, bname }: Binding) {
  const { at } = ctx;
  const { implementations } = ctx.inputs;
  const policyRef = b.js.spec?.policyRef?.name;
  if (typeof policyRef !== "string") {
    at("error", "policyref", b, ["spec", "policyRef"], `PolicyBinding ${bname} has no spec.policyRef.name`, `set spec.policyRef: {kind: Extension, name: ${IMPLEMENTATION_NAME}}`);
  } else if (implementations.length > 0 && !implementations.some((i) => nameOf(i) === policyRef)) {
    const near = nearest(policyRef, implementations.map((i) => nameOf(i)!));
    at("error", "policyref", b, ["spec", "policyRef", "name"], `spec.policyRef names Extension "${policyRef}", which is not among the implementations in the input (${implementations.map((i) => nameOf(i)).join(", ")})`,
      near ? `did you mean "${near}"?` : `set it to ${IMPLEMENTATION_NAME}`);
  }
}
