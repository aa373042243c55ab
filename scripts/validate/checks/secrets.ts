// Placeholders and secrets: unrendered templates in the credentials, a client secret written literally
// (and who can read its file), and placeholder values left in the Cequence Services and bindings.
import { isScalar, visit } from "yaml";
import { AUTH_SERVICE, EDGE_SERVICE, PLACEHOLDERS } from "../../bundle.mjs";
import { statOf } from "../input.ts";
import { describe, nameOf, type Binding, type Context } from "./context.ts";

/**
 * Why a value looks like a template placeholder nobody rendered, or undefined: `${…}` (shell, envsubst,
 * Helm-style), `$VAR`, `<…>`, or REPLACE_…. Flex Gateway does not substitute anything in a
 * PolicyBinding's spec.config (its documentation describes no such substitution): the text reaches the
 * policy as written, so an unrendered secret is sent to the token endpoint literally (401 forever).
 */
export function unrenderedReason(v: string): string | undefined {
  const t = v.trim();
  if (/\$\{[^}]*\}?/.test(t)) return "it holds a ${…} template expression";
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(t) || /^\$env[.:]/i.test(t)) return "it is a $VARIABLE reference";
  if (/^<[^>]*>$/.test(t)) return "it is a <placeholder>";
  if (/REPLACE_/.test(t)) return "it is a REPLACE_… placeholder";
  return undefined;
}

/** The fields that carry credentials: an unrendered placeholder there is always an error. */
export const CREDENTIAL_FIELDS = ["cequenceClientId", "cequenceClientSecret"] as const;

const PLACEHOLDER_VALUES = Object.values(PLACEHOLDERS) as string[];
/** Why a value looks like a placeholder an operator forgot to replace, or undefined. */
export function placeholderReason(v: string): string | undefined {
  if (PLACEHOLDER_VALUES.includes(v)) return "it is the bundle's placeholder";
  if (/REPLACE/.test(v)) return "it contains REPLACE";
  if (/(^|[/.@])example\.(com|org|net)(?=$|[:/?#])/i.test(v)) return "it uses the example.com domain";
  if (/\byour[-_ ](cequence|api|realm|tenant|namespace)/i.test(v)) return "it contains a your-… placeholder";
  const u = unrenderedReason(v);
  if (u) return u;
  return undefined;
}

/** How to keep the client secret out of Git, verifiably (shared by every finding about the secret). */
export const SECRET_ADVICE =
  "keep the bundle's placeholder in Git and write the secret into a copy of cequence_binding.yaml at deploy time, " +
  "from a CI secret (examples/github-actions/deploy-cequence-policy.yaml renders it with yq into $RUNNER_TEMP) or a Kubernetes Secret " +
  "(kubectl get secret … -o jsonpath), in a file only the deploying user can read (umask 077 or chmod 600); apply it, delete it, " +
  "and never commit the rendered file";

/**
 * Credentials: an unrendered template is always an error (Flex Gateway substitutes nothing in
 * spec.config); a literal secret is fine in a rendered file only the deploying user can read.
 */
export function checkCredentials(ctx: Context, { b, config, cfg }: Binding) {
  const { at } = ctx;
  for (const field of CREDENTIAL_FIELDS) {
    const v = config[field];
    if (typeof v !== "string") continue;
    const reason = unrenderedReason(v);
    if (!reason) continue;
    const bundlePlaceholder = v === (field === "cequenceClientSecret" ? PLACEHOLDERS.clientSecret : PLACEHOLDERS.clientId);
    if (bundlePlaceholder) {
      // The bundle's own placeholder: checkPlaceholders reports it (info with --allow-placeholders);
      // the secret's placeholder is expected in the copy in Git with --secret-rendered-at-deploy.
      continue;
    }
    at("error", "unrendered-placeholder", b, [...cfg, field],
      `${field} looks like an unrendered placeholder (${reason}): Flex Gateway does not substitute variables in a PolicyBinding's spec.config, so the policy would send this text as the ${field === "cequenceClientSecret" ? "client secret" : "client ID"} and every token request would be refused (401)`,
      field === "cequenceClientSecret" ? `write the real secret into the file at deploy time: ${SECRET_ADVICE}` : "set the client ID from the Cequence UAP portal (General Settings > User Management > Clients), or render it into the file before applying");
  }
  const secret = config.cequenceClientSecret;
  if (typeof secret === "string" && secret.trim() !== "" && !placeholderReason(secret)) {
    const mode = statOf(b.src.path).st?.mode;
    const shared = mode !== undefined && process.platform !== "win32" && (mode & 0o077) !== 0;
    if (shared) {
      at("warning", "literal-secret", b, [...cfg, "cequenceClientSecret"],
        `cequenceClientSecret is written literally in a file that other users can read (mode ${(mode! & 0o777).toString(8).padStart(4, "0")}): anyone who can read the file, or its Git history if it is committed, has the credential`,
        `${SECRET_ADVICE}; for a file that must stay on disk (Docker conf.d), chmod 600 it`);
    } else {
      at("info", "literal-secret", b, [...cfg, "cequenceClientSecret"],
        "cequenceClientSecret is written literally (the file is readable by its owner only)",
        "keep this rendered file out of Git and delete it after applying it");
    }
  }
}

/**
 * Placeholders left in any Cequence resource. (The definition and implementation are generated and not
 * edited: only the Services and bindings are scanned.)
 */
export function checkPlaceholders(ctx: Context) {
  const { options, add } = ctx;
  const { services, bindings } = ctx.inputs;
  const placeholderSeverity = options.allowPlaceholders ? "info" : "error";
  const cequenceDocs = [...services.filter((s) => [AUTH_SERVICE, EDGE_SERVICE].includes(nameOf(s)!)), ...bindings];
  for (const d of cequenceDocs) {
    visit(d.doc, {
      Scalar(_k, node, path) {
        if (typeof node.value !== "string" || !node.range) return;
        const reason = placeholderReason(node.value);
        if (!reason) return;
        // The pair holding this value names the field.
        const parent = path[path.length - 1] as any;
        const field = parent && parent.key && isScalar(parent.key) ? String(parent.key.value) : "value";
        if (parent?.key === node) return; // a key, not a value
        const credential = d.js.kind === "PolicyBinding" && (CREDENTIAL_FIELDS as readonly string[]).includes(field);
        // Reported by checkCredentials as unrendered-placeholder (an error whatever the options).
        if (credential && node.value !== PLACEHOLDERS.clientId && node.value !== PLACEHOLDERS.clientSecret && unrenderedReason(node.value)) return;
        if (credential && field === "cequenceClientSecret" && node.value === PLACEHOLDERS.clientSecret && options.secretRenderedAtDeploy) {
          add("info", "placeholder", d.src.display, d.src.pos(node.range[0]),
            `cequenceClientSecret holds the bundle's placeholder, to be written in at deploy time (--secret-rendered-at-deploy)`,
            "validate the rendered copy too, before applying it (without --secret-rendered-at-deploy)");
          return;
        }
        // A secret is never echoed, not even a placeholder-looking one.
        const shown = field === "cequenceClientSecret" && node.value !== PLACEHOLDERS.clientSecret ? "(value not shown)" : node.value;
        add(placeholderSeverity, "placeholder", d.src.display, d.src.pos(node.range[0]),
          `placeholder value left in ${describe(d)}: ${field}: ${shown} (${reason})`,
          placeholderFix(field) + (options.allowPlaceholders ? " (reported as info because of --allow-placeholders)" : ""));
      },
    });
  }
}

function placeholderFix(field: string): string {
  switch (field) {
    case "address": return "set spec.address to the URL of your Cequence endpoint, and the same value in cequenceAuthUrl / cequenceEdgeUrl";
    case "cequenceAuthUrl": return "set it to the URL of your Cequence authentication endpoint, exactly equal to spec.address of cequence-auth-service";
    case "cequenceEdgeUrl": return "set it to the URL of your Cequence Edge or Bridge, exactly equal to spec.address of cequence-edge-service";
    case "cequenceClientId": return "set the client ID generated in the Cequence UAP portal (General Settings > User Management > Clients)";
    case "cequenceClientSecret": return `${SECRET_ADVICE} (pass --secret-rendered-at-deploy when validating the copy in Git, before the secret is written in)`;
    case "cequenceAuthPath": return "set the path of your Cequence token endpoint, e.g. /auth/realms/<realm>/protocol/openid-connect/token";
    case "name": return "set spec.targetRef.name to your ApiInstance's name (kubectl get apiinstances -n <ns>, or grep -r 'kind: ApiInstance' conf.d/), or use a label selector";
    default: return `replace ${field} with your environment's value`;
  }
}
