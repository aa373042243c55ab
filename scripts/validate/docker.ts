// Docker layouts: a `docker run` command (in a script or text file) or a compose file that mounts the
// whole conf.d/ directory (or one of its parents) instead of each file on its own. Such a mount hides the
// gateway's built-in extensions: "Extension default/route, default/extension-definition, or
// default/tls-outbound not found".
import { isMap, isSeq, isScalar } from "yaml";
import type { Doc, Finding, Source } from "./source.ts";

export const CONF_D = "/etc/mulesoft/flex-gateway/conf.d";

const FIX =
  "mount each configuration file on its own, e.g. " +
  `-v /path/to/cequence_binding.yaml:${CONF_D}/cequence_binding.yaml ` +
  "(and the same for cequence_definition.yaml, cequence_implementation.yaml, registration.yaml and your API instance files), " +
  "or docker cp the three Cequence files into a running container";

/** True when mounting at `target` would hide conf.d/ as shipped in the image. */
export function hidesConfD(target: string): boolean {
  const t = target.replace(/\/+$/, "") || "/";
  if (t === CONF_D) return true;
  // A parent of conf.d (but not / or /etc, which nobody mounts for this) hides it too.
  return t !== "/" && t !== "/etc" && CONF_D.startsWith(t + "/");
}

function finding(src: Source, offset: number, what: string, target: string): Finding {
  const p = src.pos(offset);
  const whole = target.replace(/\/+$/, "") === CONF_D ? "the whole conf.d/ directory" : `${target} (a parent of conf.d/)`;
  return {
    severity: "error", code: "docker-confd-mount", file: src.display, line: p.line, column: p.column,
    message: `${what} mounts ${whole}: it hides the gateway's built-in extensions (the gateway then reports "Extension default/route, default/extension-definition, or default/tls-outbound not found")`,
    fix: FIX,
  };
}

interface Token { text: string; offset: number }

/** Splits shell text into words (quotes and backslash-newline continuations handled), keeping offsets. */
export function shellWords(text: string): Token[][] {
  const commands: Token[][] = [];
  let cmd: Token[] = [];
  let cur = "", start = -1, quote = "";
  const endWord = () => { if (start >= 0) { cmd.push({ text: cur, offset: start }); cur = ""; start = -1; } };
  const endCmd = () => { endWord(); if (cmd.length) commands.push(cmd); cmd = []; };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
      else if (c === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === "\\" && text[i + 1] === "\n") { i++; endWord(); continue; }
    if (c === "\\" && text[i + 1] === "\r" && text[i + 2] === "\n") { i += 2; endWord(); continue; }
    if (c === "#" && start < 0) { while (i < text.length && text[i] !== "\n") i++; endCmd(); continue; }
    if (c === "\n" || c === ";" || c === "|" || c === "&") { endCmd(); continue; }
    if (c === " " || c === "\t" || c === "\r") { endWord(); continue; }
    if (start < 0) start = i;
    if (c === "'" || c === '"') { quote = c; continue; }
    if (c === "\\" && i + 1 < text.length) { cur += text[++i]; continue; }
    cur += c;
  }
  endCmd();
  return commands;
}

/** The target of a `-v src:dst[:opts]` or `--mount type=bind,source=…,target=…` argument. */
function volumeTarget(spec: string): string | undefined {
  const parts = spec.split(":");
  // Windows drive letters (C:\…) are not expected here; src:dst or src:dst:opts, or an anonymous volume dst.
  if (parts.length === 1) return parts[0];
  return parts[1];
}
function mountTarget(spec: string): string | undefined {
  for (const kv of spec.split(",")) {
    const [k, v] = kv.split("=");
    if (["target", "destination", "dst"].includes(k)) return v;
  }
  return undefined;
}

export function isDockerRunText(text: string): boolean {
  return /(^|[\s;|&(])docker\s+(container\s+)?(run|create)\s/m.test(text);
}

export function checkDockerRun(src: Source): Finding[] {
  const out: Finding[] = [];
  for (const words of shellWords(src.text)) {
    const i = words.findIndex((w, j) => w.text === "docker" && (words[j + 1]?.text === "run" || words[j + 1]?.text === "create" || (words[j + 1]?.text === "container" && ["run", "create"].includes(words[j + 2]?.text))));
    if (i < 0) continue;
    for (let j = i + 2; j < words.length; j++) {
      const w = words[j];
      let spec: string | undefined, target: string | undefined;
      if (w.text === "-v" || w.text === "--volume") { spec = words[++j]?.text; target = spec && volumeTarget(spec); }
      else if (w.text.startsWith("--volume=")) { spec = w.text.slice(9); target = volumeTarget(spec); }
      else if (w.text.startsWith("-v") && w.text.length > 2) { spec = w.text.slice(2).replace(/^=/, ""); target = volumeTarget(spec); }
      else if (w.text === "--mount") { spec = words[++j]?.text; target = spec && mountTarget(spec); }
      else if (w.text.startsWith("--mount=")) { spec = w.text.slice(8); target = mountTarget(spec); }
      if (target && hidesConfD(target)) out.push(finding(src, w.offset, `docker run volume "${spec}"`, target));
    }
  }
  return out;
}

export function isComposeDoc(d: Doc): boolean {
  return d.js !== null && typeof d.js === "object" && !Array.isArray(d.js) && d.js.services !== null &&
    typeof d.js.services === "object" && !Array.isArray(d.js.services) && !("kind" in d.js);
}

export function checkCompose(d: Doc): Finding[] {
  const out: Finding[] = [];
  const services = d.node(["services"]);
  if (!isMap(services)) return out;
  for (const pair of services.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : "?";
    const vols = d.node(["services", name, "volumes"]);
    if (!isSeq(vols)) continue;
    vols.items.forEach((item, k) => {
      let target: string | undefined, spec: string;
      if (isScalar(item) && typeof item.value === "string") { spec = item.value; target = volumeTarget(spec); }
      else if (isMap(item)) {
        const js = d.js.services[name].volumes[k];
        target = js?.target; spec = `${js?.source ?? ""}:${js?.target ?? ""}`;
      } else return;
      if (target && hidesConfD(target)) {
        out.push(finding(d.src, item.range?.[0] ?? 0, `compose service "${name}" volume "${spec}"`, target));
      }
    });
  }
  return out;
}
