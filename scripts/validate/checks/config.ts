// spec.config against the policy's schema (types, bounds, formats, unknown and required fields, the
// capture-control list entries), and the rules between fields: the status range, auth credentials.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import Ajv, { type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { loadConfigSchema } from "../../config-fields.mjs";
import type { Doc } from "../source.ts";
import { isObj, nearest, type At, type Binding, type ConfigSchema, type Context } from "./context.ts";

/** The config schema: the definition's spec.properties when the definition is in the input, else the repo's schema. */
export function configSchema(definition: Doc | undefined): ConfigSchema {
  if (definition && isObj(definition.js.spec?.properties)) {
    return { properties: definition.js.spec.properties, required: Array.isArray(definition.js.spec.required) ? definition.js.spec.required : [] };
  }
  const s = fallbackSchema();
  return { properties: s.properties, required: s.required ?? [] };
}

declare const __CEQUENCE_VALIDATE_BUNDLE__: boolean | undefined;
/** The file the bundled validator (cequence-validate.mjs, shipped in each bundle folder) reads its schema from. */
export const BESIDE_DEFINITION = "cequence_definition.yaml";

/**
 * The schema when the input has no definition: in the repository, schema/config.schema.json; in the
 * bundled validator, the definition shipped beside it (the same properties, written by the same build).
 */
function fallbackSchema(): { properties: Record<string, any>; required?: string[] } {
  if (typeof __CEQUENCE_VALIDATE_BUNDLE__ !== "undefined" && __CEQUENCE_VALIDATE_BUNDLE__) {
    const file = join(dirname(fileURLToPath(import.meta.url)), BESIDE_DEFINITION);
    let def: any;
    try { def = parseYaml(readFileSync(file, "utf8")); } catch (e) {
      throw new Error(`cannot read the policy definition beside the validator (${file}): ${(e as Error).message}; keep cequence-validate.mjs in its bundle folder, next to ${BESIDE_DEFINITION}`);
    }
    if (!isObj(def?.spec?.properties)) throw new Error(`${file} has no spec.properties: use the ${BESIDE_DEFINITION} of the bundle as built`);
    return { properties: def.spec.properties, required: Array.isArray(def.spec.required) ? def.spec.required : [] };
  }
  return loadConfigSchema();
}

export function compile(schema: ConfigSchema) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile({ type: "object", properties: schema.properties, required: schema.required, additionalProperties: false });
}

/** Types, bounds, formats and unknown fields: JSON Schema of the definition (or schema/config.schema.json). */
export function checkSchema(ctx: Context, validateConfig: ReturnType<typeof compile>, { b, config, cfg }: Binding) {
  const { schema, at } = ctx;
  if (!validateConfig(config)) {
    for (const e of validateConfig.errors ?? []) reportSchemaError(e, b, cfg, config, schema, at);
  }
}

/** Inverted status range. */
export function checkStatusRange(ctx: Context, { b, config, cfg }: Binding) {
  const { schema, at } = ctx;
  const min = config.cequenceMinStatusCode ?? schema.properties.cequenceMinStatusCode?.default;
  const max = config.cequenceMaxStatusCode ?? schema.properties.cequenceMaxStatusCode?.default;
  if (Number.isInteger(min) && Number.isInteger(max) && min > max) {
    const field = "cequenceMaxStatusCode" in config ? "cequenceMaxStatusCode" : "cequenceMinStatusCode";
    at("error", "status-range-inverted", b, [...cfg, field],
      `cequenceMinStatusCode (${min}) is greater than cequenceMaxStatusCode (${max}): no response would ever be captured`,
      `swap them (cequenceMinStatusCode: ${max}, cequenceMaxStatusCode: ${min}), or set the range you mean, e.g. 100 and 499 (599 to capture 5xx)`);
  }
}

/** Auth enabled without credentials. */
export function checkAuthCredentials(ctx: Context, { b, config, cfg, authEnabled }: Binding) {
  const { at } = ctx;
  if (authEnabled === true) {
    const need: [string, string][] = [
      ["cequenceClientId", "the client ID from the Cequence UAP portal (General Settings > User Management > Clients)"],
      ["cequenceClientSecret", "the client secret shown when the client was created (written into the file at deploy time, not committed)"],
      ["cequenceAuthPath", "the token path, e.g. /auth/realms/<realm>/protocol/openid-connect/token"],
    ];
    for (const [field, what] of need) {
      const v = config[field];
      if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) {
        const path = field in config ? [...cfg, field] : "cequenceAuthEnabled" in config ? [...cfg, "cequenceAuthEnabled"] : cfg;
        at("error", "auth-credentials", b, path,
          `cequenceAuthEnabled is ${"cequenceAuthEnabled" in config ? "true" : "true by default"} but ${field} is ${v === undefined ? "missing" : "empty"}: every token request would fail and Edge would answer 401`,
          `set ${field} to ${what}; or set cequenceAuthEnabled: false if your Edge or Bridge accepts transactions without a token`, field in config);
      }
    }
  }
}

// What each capture-control list requires of its entries (the schema's item patterns, in words).
const LIST_ENTRY_RULE: Record<string, string> = {
  cequenceExcludePaths: "is not a path: it must start with \"/\", and may hold * only as its last character (a prefix)",
  cequenceExcludeMethods: "is not an HTTP method (a token such as OPTIONS or HEAD)",
  cequenceRedactHeaders: "is not a header name that can be redacted (a token; pseudo-headers such as :path cannot be)",
  cequenceSkipBodyContentTypes: "is not a media type (type/subtype, or type/* for a whole type)",
};

function listEntryFix(field: string, v: string): string {
  switch (field) {
    case "cequenceExcludePaths": return v.startsWith("/") ? `keep * only at the end: "${v.slice(0, v.indexOf("*") + 1)}"` : `start it with "/": "/${v.replace(/^\/*/, "")}"`;
    case "cequenceExcludeMethods": return "write the method as sent, e.g. OPTIONS";
    case "cequenceRedactHeaders": return v.startsWith(":") ? "remove it: pseudo-headers are fields of the transaction (method, path, host, status), not headers" : "write the header name, e.g. Authorization";
    case "cequenceSkipBodyContentTypes": return "write e.g. image/png, or image/* for every image type";
    default: return "see the definition's spec.properties";
  }
}

function reportSchemaError(e: ErrorObject, b: Doc, cfg: string[], config: Record<string, any>, schema: ConfigSchema, at: At) {
  const field = e.instancePath.split("/")[1];
  // A list entry (capture controls): /<field>/<index>.
  const entry = e.instancePath.split("/")[2];
  const value = field !== undefined ? (entry !== undefined ? config[field]?.[Number(entry)] : config[field]) : undefined;
  const show = (v: unknown) => JSON.stringify(v);
  const p = field ? schema.properties[field] ?? {} : {};
  const bounds = p.minimum !== undefined && p.maximum !== undefined ? `between ${p.minimum} and ${p.maximum}` : p.minimum !== undefined ? `at least ${p.minimum}` : `at most ${p.maximum}`;
  switch (e.keyword) {
    case "additionalProperties": {
      const unknown = (e.params as any).additionalProperty as string;
      const near = nearest(unknown, Object.keys(schema.properties));
      at("error", "unknown-field", b, [...cfg, unknown],
        `unknown field "${unknown}": the definition's schema has no such field, so the policy ignores it`,
        near ? `did you mean "${near}"? rename the key` : "remove it; the known fields are the definition's spec.properties (see README, Configuration)", true);
      return;
    }
    case "required": {
      const missing = (e.params as any).missingProperty as string;
      at("error", "required-field", b, cfg, `required field ${missing} is missing from spec.config`, `add ${missing} (${schema.properties[missing]?.description ?? "see README, Configuration"})`);
      return;
    }
    case "type": {
      const want = (e.params as any).type;
      if (want === "array") {
        at("error", "type", b, [...cfg, field], `${field} must be a list of strings, got ${value === null ? "null" : typeof value} ${show(value)}`,
          `write a list: ${field}: [${show(typeof value === "string" ? value : "…")}]`);
        return;
      }
      if (entry !== undefined) {
        at("error", "type", b, [...cfg, field], `${field} entry ${entry} must be a string, got ${show(value)}`, `quote it: "${String(value)}"`);
        return;
      }
      let fix = `write a${want === "integer" ? "n" : ""} ${want}`;
      if (typeof value === "string" && want === "integer" && /^-?\d+$/.test(value.trim())) fix = `write ${value.trim()} without quotes`;
      else if (typeof value === "string" && want === "boolean" && /^(true|false)$/i.test(value.trim())) fix = `write ${value.trim().toLowerCase()} without quotes`;
      else if (want === "string" && value !== null && typeof value !== "object") fix = `quote the value: "${String(value)}"`;
      at("error", "type", b, [...cfg, field], `${field} must be ${want === "integer" ? "an integer" : `a ${want}`}, got ${value === null ? "null" : Array.isArray(value) ? "a list" : typeof value} ${show(value)}`, fix);
      return;
    }
    case "minimum": case "maximum": case "exclusiveMinimum": case "exclusiveMaximum":
      at("error", "out-of-range", b, [...cfg, field], `${field} is ${show(value)}, out of range: it must be ${bounds}`,
        field === "cequenceMaxStatusCode" || field === "cequenceMinStatusCode"
          ? `use an HTTP status ${bounds} (default ${p.default}); to capture 5xx responses set cequenceMaxStatusCode: 599`
          : `use a value ${bounds} (default ${p.default})`);
      return;
    case "format":
      at("error", "format", b, [...cfg, field], `${field} is not a valid ${(e.params as any).format}: ${show(value)}`, `write a full URL such as https://auth.<your-tenant>.cequence.ai`);
      return;
    case "pattern":
      if (entry !== undefined) {
        at("error", "pattern", b, [...cfg, field], `${field} entry ${entry} ${show(value)} ${LIST_ENTRY_RULE[field] ?? `does not match ${(e.params as any).pattern}`}`,
          listEntryFix(field, String(value)));
        return;
      }
      at("error", "pattern", b, [...cfg, field], `${field} ${show(value)} does not match ${(e.params as any).pattern}`,
        (e.params as any).pattern === "^/" ? `start the path with "/": "/${String(value).replace(/^\/*/, "")}"` : field === "serviceNamespace" ? "use a Kubernetes namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit" : `match ${(e.params as any).pattern}`);
      return;
    default:
      at("error", "schema", b, field ? [...cfg, field] : cfg, `${field ?? "spec.config"} ${e.message}`, "see the definition's spec.properties for the allowed values");
  }
}
