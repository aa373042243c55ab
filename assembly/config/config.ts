// Parses the PolicyBinding's spec.config (JSON) into typed settings. Field names, types, defaults and
// bounds come from fields.generated.ts (rendered from schema/config.schema.json), so the parser and the
// published definition cannot drift apart. Pure logic: no host calls, unit-tested by as-pect.
import { JSON } from "./json";
import { parseServiceUrl } from "./url";
import {
  INT_FIELDS, INT_DEFAULTS, INT_MINIMUMS, INT_MAXIMUMS,
  BOOL_FIELDS, BOOL_DEFAULTS,
  STRING_FIELDS, STRING_DEFAULTS, STRING_HAS_DEFAULT, STRING_REQUIRED,
  LIST_FIELDS, LIST_MAX_ITEMS, LIST_ITEM_MIN_LENGTH, LIST_ITEM_MAX_LENGTH, LIST_ITEM_RULES,
  IntField, BoolField, StringField, ListField,
} from "./fields.generated";
import { readList } from "./lists";
import { msg } from "../literals";

export const AUTH_SERVICE_NAME = msg("cequence-auth-service");
export const EDGE_SERVICE_NAME = msg("cequence-edge-service");

export class Config {
  authUrl: string = "";
  edgeUrl: string = "";
  serviceNamespace: string = "";
  authEnabled: bool = true;
  clientId: string = "";
  clientSecret: string = "";
  authPath: string = "";
  edgePath: string = "";
  debug: bool = false;
  minStatus: i32 = 0;
  maxStatus: i32 = 0;
  bodyLimit: i32 = 0;
  batchMaxTransactions: i32 = 0;
  batchMaxBytes: i32 = 0;
  flushIntervalMs: i32 = 0;
  queueMaxTransactions: i32 = 0;
  queueMaxBytes: i32 = 0;
  maxInFlightBatches: i32 = 0;
  edgeTimeoutMs: i32 = 0;
  authTimeoutMs: i32 = 0;
  retryInitialBackoffMs: i32 = 0;
  retryMaxBackoffMs: i32 = 0;
  retryGiveUpMs: i32 = 0;
  tokenRefreshMarginSeconds: i32 = 0;
  statsIntervalMs: i32 = 0;
  // Capture controls (capture/controls.ts turns them into matchers)
  excludePaths: string[] = [];
  excludeMethods: string[] = [];
  redactHeaders: string[] = [];
  redactJsonFields: string[] = [];
  skipBodyContentTypes: string[] = [];
  // Derived
  authAuthority: string = "";
  edgeAuthority: string = "";
  authCluster: string = "";
  edgeCluster: string = "";

  /** A one-line summary for debug logs; never includes the client secret. */
  describe(): string {
    return msg("authUrl=") + this.authUrl + msg(" edgeUrl=") + this.edgeUrl + msg(" serviceNamespace=") + this.serviceNamespace +
      msg(" authEnabled=") + (this.authEnabled ? msg("true") : msg("false")) + msg(" clientId=") + this.clientId +
      msg(" clientSecret=") + (this.clientSecret.length > 0 ? msg("<set>") : msg("<unset>")) +
      msg(" authPath=") + this.authPath + msg(" edgePath=") + this.edgePath +
      msg(" status=") + this.minStatus.toString() + "-" + this.maxStatus.toString() +
      msg(" bodyLimit=") + this.bodyLimit.toString() +
      msg(" batch=") + this.batchMaxTransactions.toString() + "/" + this.batchMaxBytes.toString() + "B/" + this.flushIntervalMs.toString() + "ms" +
      msg(" queue=") + this.queueMaxTransactions.toString() + "/" + this.queueMaxBytes.toString() + "B" +
      msg(" inFlight=") + this.maxInFlightBatches.toString() +
      msg(" timeouts=") + this.edgeTimeoutMs.toString() + "/" + this.authTimeoutMs.toString() + "ms" +
      msg(" retry=") + this.retryInitialBackoffMs.toString() + "-" + this.retryMaxBackoffMs.toString() + msg("ms giveUp=") + this.retryGiveUpMs.toString() + "ms" +
      msg(" tokenMargin=") + this.tokenRefreshMarginSeconds.toString() + msg("s stats=") + this.statsIntervalMs.toString() + "ms" +
      msg(" exclude=") + this.excludePaths.length.toString() + msg(" path(s)/") + this.excludeMethods.length.toString() + msg(" method(s)") +
      msg(" redact=") + this.redactHeaders.length.toString() + msg(" header(s)/") + this.redactJsonFields.length.toString() + msg(" JSON field(s)") +
      msg(" skipBodies=") + this.skipBodyContentTypes.length.toString() + msg(" type(s)");
  }
}

export class ConfigResult {
  config: Config | null = null;
  /** "" on success; otherwise "<field>: <reason>" (or a document-level reason). */
  error: string = "";
  /** Non-fatal notes, e.g. unknown fields, each naming the field. */
  warnings: string[] = [];
}

function fail(result: ConfigResult, field: string, reason: string): ConfigResult {
  result.config = null;
  result.error = field.length > 0 ? field + ": " + reason : reason;
  return result;
}

function indexOfName(names: string[], name: string): i32 {
  for (let i = 0; i < names.length; i++) if (names[i] == name) return i;
  return -1;
}

function isNamespace(ns: string): bool {
  if (ns.length == 0 || ns.length > 63) return false;
  for (let i = 0; i < ns.length; i++) {
    const c = ns.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && !(c == 0x2d && i > 0 && i < ns.length - 1)) return false;
  }
  return true;
}

/** A URL as it may be quoted in a log line: any user:password before '@' in the authority is hidden. */
export function redactUserinfo(url: string): string {
  const scheme = url.indexOf("://");
  const start = scheme >= 0 ? scheme + 3 : 0;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const ch = url.charCodeAt(i);
    if (ch == 0x2f || ch == 0x3f || ch == 0x23) { end = i; break; }
  }
  const at = url.substring(start, end).lastIndexOf("@");
  if (at < 0) return url;
  return url.substring(0, start) + "***" + url.substring(start + at);
}

/**
 * True when a credential looks like a template placeholder nobody rendered: `${…}`, `$VAR`, `<…>` or
 * REPLACE_…. Flex Gateway passes spec.config through as written (it substitutes nothing), so such a
 * value would reach the token endpoint literally and be refused (401) on every attempt.
 */
export function looksUnrendered(v: string): bool {
  const t = v.trim();
  if (t.length == 0) return false;
  if (t.includes("${")) return true;
  if (t.includes(msg("REPLACE_"))) return true;
  const c0 = t.charCodeAt(0);
  if (c0 == 0x3c && t.charCodeAt(t.length - 1) == 0x3e) return true; // <...>
  if (c0 == 0x24 && t.length > 1) { // $VAR
    const c1 = t.charCodeAt(1);
    if ((c1 >= 0x41 && c1 <= 0x5a) || (c1 >= 0x61 && c1 <= 0x7a) || c1 == 0x5f) return true;
  }
  return false;
}

function typeName(v: JSON.Value): string {
  if (v.isString) return msg("a string");
  if (v.isBool) return msg("a boolean");
  if (v.isInteger || v.isFloat) return msg("a number");
  if (v.isNull) return msg("null");
  if (v.isArr) return msg("an array");
  if (v.isObj) return msg("an object");
  return msg("an unknown value");
}

export function parseConfigString(text: string): ConfigResult {
  return parseConfig(Uint8Array.wrap(String.UTF8.encode(text)));
}

export function parseConfig(bytes: Uint8Array): ConfigResult {
  const result = new ConfigResult();
  if (bytes.length == 0) return fail(result, "", msg("configuration is empty (expected a JSON object with cequenceAuthUrl and cequenceEdgeUrl)"));
  const parsed = JSON.parse(bytes);
  const doc = parsed.value;
  if (doc == null) return fail(result, "", msg("configuration is not valid JSON: ") + parsed.error);
  if (!doc.isObj) return fail(result, "", msg("configuration must be a JSON object, got ") + typeName(doc));
  const obj = changetype<JSON.Obj>(doc);

  // Unknown fields are reported (a typo must not silently fall back to a default) but are not fatal.
  const keys = obj.keys;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (indexOfName(INT_FIELDS, k) < 0 && indexOfName(BOOL_FIELDS, k) < 0 && indexOfName(STRING_FIELDS, k) < 0 && indexOfName(LIST_FIELDS, k) < 0) {
      result.warnings.push(k + msg(": unknown field, ignored"));
    }
  }

  const ints = new Array<i64>(INT_FIELDS.length);
  for (let i = 0; i < INT_FIELDS.length; i++) {
    const name = INT_FIELDS[i];
    const v = obj.get(name);
    let value = INT_DEFAULTS[i];
    if (v != null && !v.isNull) {
      if (v.isInteger) {
        value = (<JSON.Integer>v).valueOf();
      } else if (v.isFloat) {
        const f = (<JSON.Float>v).valueOf();
        if (!isFinite(f) || Math.floor(f) != f || Math.abs(f) > 9.0e15) return fail(result, name, msg("must be a whole number"));
        value = <i64>f;
      } else {
        return fail(result, name, msg("must be an integer, got ") + typeName(v));
      }
      if (value < INT_MINIMUMS[i] || value > INT_MAXIMUMS[i]) {
        return fail(result, name, msg("must be between ") + INT_MINIMUMS[i].toString() + msg(" and ") + INT_MAXIMUMS[i].toString() + msg(", got ") + value.toString());
      }
    }
    ints[i] = value;
  }

  const bools = new Array<bool>(BOOL_FIELDS.length);
  for (let i = 0; i < BOOL_FIELDS.length; i++) {
    const name = BOOL_FIELDS[i];
    const v = obj.get(name);
    let value = BOOL_DEFAULTS[i];
    if (v != null && !v.isNull) {
      if (!v.isBool) return fail(result, name, msg("must be true or false, got ") + typeName(v));
      value = (<JSON.Bool>v).valueOf();
    }
    bools[i] = value;
  }

  const strs = new Array<string>(STRING_FIELDS.length);
  const present = new Array<bool>(STRING_FIELDS.length);
  for (let i = 0; i < STRING_FIELDS.length; i++) {
    const name = STRING_FIELDS[i];
    const v = obj.get(name);
    let value = STRING_DEFAULTS[i];
    let given = false;
    if (v != null && !v.isNull) {
      if (!v.isString) return fail(result, name, msg("must be a string, got ") + typeName(v));
      value = (<JSON.Str>v).valueOf();
      given = value.length > 0;
      if (!given && STRING_HAS_DEFAULT[i]) value = STRING_DEFAULTS[i];
    }
    if (STRING_REQUIRED[i] && !given) return fail(result, name, msg("is required"));
    strs[i] = value;
    present[i] = given;
  }

  const lists = new Array<string[]>(LIST_FIELDS.length);
  for (let i = 0; i < LIST_FIELDS.length; i++) {
    const r = readList(obj.get(LIST_FIELDS[i]), LIST_MAX_ITEMS[i], LIST_ITEM_MIN_LENGTH[i], LIST_ITEM_MAX_LENGTH[i], LIST_ITEM_RULES[i]);
    if (r.error.length > 0) return fail(result, LIST_FIELDS[i], r.error);
    lists[i] = r.values;
  }

  const c = new Config();
  c.authUrl = strs[StringField.cequenceAuthUrl];
  c.edgeUrl = strs[StringField.cequenceEdgeUrl];
  c.serviceNamespace = strs[StringField.serviceNamespace];
  c.clientId = strs[StringField.cequenceClientId];
  c.clientSecret = strs[StringField.cequenceClientSecret];
  c.authPath = strs[StringField.cequenceAuthPath];
  c.edgePath = strs[StringField.cequenceEdgePath];
  c.authEnabled = bools[BoolField.cequenceAuthEnabled];
  c.debug = bools[BoolField.enableDebugLogs];
  c.minStatus = <i32>ints[IntField.cequenceMinStatusCode];
  c.maxStatus = <i32>ints[IntField.cequenceMaxStatusCode];
  c.bodyLimit = <i32>ints[IntField.cequenceBodyLimitBytes];
  c.batchMaxTransactions = <i32>ints[IntField.cequenceBatchMaxTransactions];
  c.batchMaxBytes = <i32>ints[IntField.cequenceBatchMaxBytes];
  c.flushIntervalMs = <i32>ints[IntField.cequenceFlushIntervalMs];
  c.queueMaxTransactions = <i32>ints[IntField.cequenceQueueMaxTransactions];
  c.queueMaxBytes = <i32>ints[IntField.cequenceQueueMaxBytes];
  c.maxInFlightBatches = <i32>ints[IntField.cequenceMaxInFlightBatches];
  c.edgeTimeoutMs = <i32>ints[IntField.cequenceEdgeTimeoutMs];
  c.authTimeoutMs = <i32>ints[IntField.cequenceAuthTimeoutMs];
  c.retryInitialBackoffMs = <i32>ints[IntField.cequenceRetryInitialBackoffMs];
  c.retryMaxBackoffMs = <i32>ints[IntField.cequenceRetryMaxBackoffMs];
  c.retryGiveUpMs = <i32>ints[IntField.cequenceRetryGiveUpMs];
  c.tokenRefreshMarginSeconds = <i32>ints[IntField.cequenceTokenRefreshMarginSeconds];
  c.statsIntervalMs = <i32>ints[IntField.cequenceStatsIntervalMs];
  c.excludePaths = lists[ListField.cequenceExcludePaths];
  c.excludeMethods = lists[ListField.cequenceExcludeMethods];
  c.redactHeaders = lists[ListField.cequenceRedactHeaders];
  c.redactJsonFields = lists[ListField.cequenceRedactJsonFields];
  c.skipBodyContentTypes = lists[ListField.cequenceSkipBodyContentTypes];

  // Semantic checks, in field order so the first problem named is the first an operator meets.
  const auth = parseServiceUrl(c.authUrl);
  if (auth.error.length > 0) return fail(result, msg("cequenceAuthUrl"), auth.error + msg(" (got \"") + redactUserinfo(c.authUrl) + "\")");
  const edge = parseServiceUrl(c.edgeUrl);
  if (edge.error.length > 0) return fail(result, msg("cequenceEdgeUrl"), edge.error + msg(" (got \"") + redactUserinfo(c.edgeUrl) + "\")");
  if (!isNamespace(c.serviceNamespace)) {
    return fail(result, msg("serviceNamespace"), msg("must be a Kubernetes namespace name (lowercase letters, digits and '-', at most 63), got \"") + c.serviceNamespace + "\"");
  }
  if (c.authEnabled) {
    if (!present[StringField.cequenceClientId]) return fail(result, msg("cequenceClientId"), msg("is required when cequenceAuthEnabled is true"));
    if (!present[StringField.cequenceClientSecret]) return fail(result, msg("cequenceClientSecret"), msg("is required when cequenceAuthEnabled is true"));
    if (!present[StringField.cequenceAuthPath]) return fail(result, msg("cequenceAuthPath"), msg("is required when cequenceAuthEnabled is true"));
  }
  if (c.authPath.length > 0 && c.authPath.charCodeAt(0) != 0x2f) return fail(result, msg("cequenceAuthPath"), msg("must begin with '/', got \"") + c.authPath + "\"");
  if (c.edgePath.charCodeAt(0) != 0x2f) return fail(result, msg("cequenceEdgePath"), msg("must begin with '/', got \"") + c.edgePath + "\"");
  if (c.minStatus > c.maxStatus) {
    return fail(result, msg("cequenceMinStatusCode"), msg("must not exceed cequenceMaxStatusCode (") + c.minStatus.toString() + " > " + c.maxStatus.toString() + ")");
  }
  if (c.retryInitialBackoffMs > c.retryMaxBackoffMs) {
    return fail(result, msg("cequenceRetryInitialBackoffMs"), msg("must not exceed cequenceRetryMaxBackoffMs"));
  }

  if (c.authEnabled) {
    // One warning naming the field(s), never the value: the cause of the 401s is then in the gateway log.
    let unrendered = "";
    if (looksUnrendered(c.clientId)) unrendered = msg("cequenceClientId");
    if (looksUnrendered(c.clientSecret)) unrendered += (unrendered.length > 0 ? msg(" and ") : "") + msg("cequenceClientSecret");
    if (unrendered.length > 0) {
      result.warnings.push(unrendered + (unrendered.includes(msg(" and ")) ? msg(" look") : msg(" looks")) +
        msg(" like an unrendered placeholder (${...}, $VAR, <...> or REPLACE_...): Flex Gateway does not substitute variables in spec.config, so the token endpoint will refuse it (401); write the real value into the binding at deploy time"));
    }
  }

  c.authAuthority = auth.authority;
  c.edgeAuthority = edge.authority;
  c.authCluster = AUTH_SERVICE_NAME + "." + c.serviceNamespace + msg(".svc");
  c.edgeCluster = EDGE_SERVICE_NAME + "." + c.serviceNamespace + msg(".svc");
  result.config = c;
  return result;
}
