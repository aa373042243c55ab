import { parseConfigString, ConfigResult } from "../../assembly/config/config";
import { checkJson } from "../../assembly/config/json";
import { parseServiceUrl } from "../../assembly/config/url";
import { INT_FIELDS, INT_DEFAULTS, BOOL_FIELDS, BOOL_DEFAULTS } from "../../assembly/config/fields.generated";

const GOOD = '{"cequenceAuthUrl":"https://auth.example.com","cequenceEdgeUrl":"https://edge.example.com:8443",' +
  '"cequenceClientId":"client","cequenceClientSecret":"s3cret","cequenceAuthPath":"/auth/realms/x/protocol/openid-connect/token"}';

function withField(field: string, json: string): string {
  // GOOD with one more field (last one wins in the parser's map, so this also overrides).
  return GOOD.substring(0, GOOD.length - 1) + ',"' + field + '":' + json + "}";
}

function expectContains(text: string, part: string): void {
  expect(text.includes(part)).toBe(true, "expected \"" + text + "\" to contain \"" + part + "\"");
}
function expectLacks(text: string, part: string): void {
  expect(text.includes(part)).toBe(false, "expected \"" + text + "\" not to contain \"" + part + "\"");
}

function errorOf(text: string): string {
  const r: ConfigResult = parseConfigString(text);
  expect(r.config == null).toBe(true);
  return r.error;
}

describe("config: valid documents", () => {
  it("parses a minimal valid configuration and applies every default", () => {
    const r = parseConfigString(GOOD);
    expect(r.error).toBe("");
    const c = r.config!;
    expect(c.serviceNamespace).toBe("default");
    expect(c.authEnabled).toBe(true);
    expect(c.debug).toBe(false);
    expect(c.edgePath).toBe("/api-transactions");
    expect(c.minStatus).toBe(100);
    expect(c.maxStatus).toBe(499);
    expect(c.bodyLimit).toBe(32768);
    expect(c.authAuthority).toBe("auth.example.com");
    expect(c.edgeAuthority).toBe("edge.example.com:8443");
    expect(c.authCluster).toBe("cequence-auth-service.default.svc");
    expect(c.edgeCluster).toBe("cequence-edge-service.default.svc");
  });

  it("takes each integer default from the generated schema table", () => {
    const c = parseConfigString(GOOD).config!;
    // Spot-check that Config fields are wired to the right table entries.
    const values: i64[] = [c.minStatus, c.maxStatus, c.bodyLimit, c.batchMaxTransactions, c.batchMaxBytes, c.flushIntervalMs,
      c.queueMaxTransactions, c.queueMaxBytes, c.maxInFlightBatches, c.edgeTimeoutMs, c.authTimeoutMs,
      c.retryInitialBackoffMs, c.retryMaxBackoffMs, c.retryGiveUpMs, c.tokenRefreshMarginSeconds, c.statsIntervalMs];
    expect(values.length).toBe(INT_FIELDS.length);
    for (let i = 0; i < values.length; i++) expect(values[i]).toBe(INT_DEFAULTS[i], INT_FIELDS[i]);
    expect(c.authEnabled).toBe(BOOL_DEFAULTS[0], BOOL_FIELDS[0]);
    expect(c.debug).toBe(BOOL_DEFAULTS[1], BOOL_FIELDS[1]);
  });

  it("reads every field when given", () => {
    const r = parseConfigString('{"cequenceAuthUrl":"http://10.0.0.1:8080","cequenceEdgeUrl":"http://edge","serviceNamespace":"team-a",' +
      '"cequenceAuthEnabled":false,"enableDebugLogs":true,"cequenceEdgePath":"/t","cequenceMinStatusCode":200,' +
      '"cequenceMaxStatusCode":599,"cequenceBodyLimitBytes":0,"cequenceFlushIntervalMs":250.0}');
    expect(r.error).toBe("");
    const c = r.config!;
    expect(c.authEnabled).toBe(false);
    expect(c.debug).toBe(true);
    expect(c.edgePath).toBe("/t");
    expect(c.minStatus).toBe(200);
    expect(c.maxStatus).toBe(599);
    expect(c.bodyLimit).toBe(0);
    expect(c.flushIntervalMs).toBe(250);
    expect(c.edgeCluster).toBe("cequence-edge-service.team-a.svc");
  });

  it("warns about unknown fields without failing", () => {
    const r = parseConfigString(withField("cequenceEdgeURL", '"x"'));
    expect(r.error).toBe("");
    expect(r.warnings.length).toBe(1);
    expect(r.warnings[0]).toBe("cequenceEdgeURL: unknown field, ignored");
  });

  it("warns once, without the value, when a credential looks like an unrendered placeholder", () => {
    const secrets = ["${env.CEQUENCE_CLIENT_SECRET}", "${CEQUENCE_CLIENT_SECRET}", "$CEQUENCE_CLIENT_SECRET", "<client-secret>", "REPLACE_WITH_CEQUENCE_CLIENT_SECRET"];
    for (let i = 0; i < secrets.length; i++) {
      const r = parseConfigString(withField("cequenceClientSecret", '"' + secrets[i] + '"'));
      expect(r.error).toBe("");
      expect(r.config != null).toBe(true, "the configuration still applies");
      expect(r.warnings.length).toBe(1, secrets[i]);
      expectContains(r.warnings[0], "cequenceClientSecret looks like an unrendered placeholder");
      expectContains(r.warnings[0], "401");
      expectLacks(r.warnings[0], secrets[i]);
      expectLacks(r.warnings[0], "CEQUENCE_CLIENT_SECRET");
    }
    const both = parseConfigString(withField("cequenceClientId", '"${CLIENT_ID}"').replace('"s3cret"', '"<secret>"'));
    expect(both.warnings.length).toBe(1);
    expectContains(both.warnings[0], "cequenceClientId and cequenceClientSecret look like an unrendered placeholder");
    expectLacks(both.warnings[0], "CLIENT_ID}");
  });

  it("does not warn about real-looking credentials, or when auth is disabled", () => {
    const values = ["s3cret", "a$b", "pa$$word", "x<y>", "<", "$", "$1abc"];
    for (let i = 0; i < values.length; i++) {
      const r = parseConfigString(withField("cequenceClientSecret", '"' + values[i] + '"'));
      expect(r.warnings.length).toBe(0, values[i]);
    }
    const off = parseConfigString('{"cequenceAuthUrl":"https://a","cequenceEdgeUrl":"https://e","cequenceAuthEnabled":false,"cequenceClientSecret":"${X}"}');
    expect(off.warnings.length).toBe(0);
  });

  it("does not need credentials when auth is disabled", () => {
    const r = parseConfigString('{"cequenceAuthUrl":"https://a","cequenceEdgeUrl":"https://e","cequenceAuthEnabled":false}');
    expect(r.error).toBe("");
  });
});

describe("config: bad documents name the field and the reason", () => {
  it("empty configuration", () => { expectContains(errorOf(""), "configuration is empty"); });
  it("malformed JSON", () => {
    expectContains(errorOf('{"cequenceAuthUrl": '), "not valid JSON");
    expectContains(errorOf("{'a':1}"), "not valid JSON");
    expectContains(errorOf('{"a":1,}'), "not valid JSON");
    expectContains(errorOf('{"a":"\\f"}'), "not valid JSON");
    expectContains(errorOf('{"a":01}'), "not valid JSON");
    expectContains(errorOf('{"a":1} x'), "not valid JSON");
  });
  it("not an object", () => { expectContains(errorOf("[1,2]"), "must be a JSON object"); });
  it("missing required URL", () => { expect(errorOf('{"cequenceEdgeUrl":"https://e"}')).toBe("cequenceAuthUrl: is required"); });
  it("wrong types", () => {
    expect(errorOf(withField("cequenceMinStatusCode", '"100"'))).toBe("cequenceMinStatusCode: must be an integer, got a string");
    expect(errorOf(withField("enableDebugLogs", '"true"'))).toBe("enableDebugLogs: must be true or false, got a string");
    expect(errorOf(withField("serviceNamespace", "5"))).toBe("serviceNamespace: must be a string, got a number");
    expect(errorOf(withField("cequenceBodyLimitBytes", "1.5"))).toBe("cequenceBodyLimitBytes: must be a whole number");
  });
  it("status codes out of range or inverted", () => {
    expect(errorOf(withField("cequenceMaxStatusCode", "600"))).toBe("cequenceMaxStatusCode: must be between 100 and 599, got 600");
    expect(errorOf(withField("cequenceMinStatusCode", "99"))).toBe("cequenceMinStatusCode: must be between 100 and 599, got 99");
    expect(errorOf(withField("cequenceMinStatusCode", "450").replace("}", ',"cequenceMaxStatusCode":400}')))
      .toBe("cequenceMinStatusCode: must not exceed cequenceMaxStatusCode (450 > 400)");
  });
  it("URL shape and scheme", () => {
    expectContains(errorOf(withField("cequenceAuthUrl", '"ftp://a"')), "cequenceAuthUrl: must start with http:// or https://");
    expectContains(errorOf(withField("cequenceEdgeUrl", '"https://"')), "cequenceEdgeUrl: has no host");
    expectContains(errorOf(withField("cequenceEdgeUrl", '"https://e:99999"')), "cequenceEdgeUrl: has a port outside 1-65535");
    expectContains(errorOf(withField("cequenceEdgeUrl", '"https://u:p@e"')), "cequenceEdgeUrl: must not carry credentials");
    expectContains(errorOf(withField("cequenceEdgeUrl", '"https://e?x=1"')), "cequenceEdgeUrl: must not carry a query or fragment");
  });
  it("credentials required when auth is on", () => {
    expect(errorOf('{"cequenceAuthUrl":"https://a","cequenceEdgeUrl":"https://e","cequenceAuthPath":"/t","cequenceClientSecret":"x"}'))
      .toBe("cequenceClientId: is required when cequenceAuthEnabled is true");
    expect(errorOf('{"cequenceAuthUrl":"https://a","cequenceEdgeUrl":"https://e","cequenceAuthPath":"/t","cequenceClientId":"x"}'))
      .toBe("cequenceClientSecret: is required when cequenceAuthEnabled is true");
    expect(errorOf('{"cequenceAuthUrl":"https://a","cequenceEdgeUrl":"https://e","cequenceClientId":"x","cequenceClientSecret":"y"}'))
      .toBe("cequenceAuthPath: is required when cequenceAuthEnabled is true");
  });
  it("paths must begin with a slash", () => {
    expect(errorOf(withField("cequenceEdgePath", '"api"'))).toBe("cequenceEdgePath: must begin with '/', got \"api\"");
    expect(errorOf(withField("cequenceAuthPath", '"token"'))).toBe("cequenceAuthPath: must begin with '/', got \"token\"");
  });
  it("namespace must be an RFC 1123 label", () => {
    expectContains(errorOf(withField("serviceNamespace", '"Team_A"')), "serviceNamespace: must be a Kubernetes namespace name");
    expectContains(errorOf(withField("serviceNamespace", '"-a"')), "serviceNamespace: must be a Kubernetes namespace name");
  });
  it("never quotes credentials written into a URL", () => {
    const e = errorOf(withField("cequenceAuthUrl", '"https://id:PASSWORD@auth.example.com/x"'));
    expectContains(e, "cequenceAuthUrl: must not carry credentials");
    expectLacks(e, "PASSWORD");
    expectLacks(e, "id:");
    expectContains(e, "https://***@auth.example.com");
  });
  it("never puts the secret in an error", () => {
    expectLacks(errorOf(withField("cequenceMaxStatusCode", "1000")), "s3cret");
    const c = parseConfigString(GOOD).config!;
    expectLacks(c.describe(), "s3cret");
  });
});

describe("json-check", () => {
  it("accepts valid JSON", () => {
    const ok = ['{}', '[]', '"x"', '0', '-1.5e+3', 'true', 'null', '{"a":[1,{"b":"\\u00e9\\n"}]}', ' { } '];
    for (let i = 0; i < ok.length; i++) expect(checkJson(Uint8Array.wrap(String.UTF8.encode(ok[i])))).toBe("", ok[i]);
  });
  it("rejects invalid JSON", () => {
    const bad = ['', '{', '{"a"}', '[1,]', 'tru', '"\u0001"', '1.', '-', '{"a":1}}', '[' .repeat(100) + ']'.repeat(100), '"\\x"'];
    for (let i = 0; i < bad.length; i++) expect(checkJson(Uint8Array.wrap(String.UTF8.encode(bad[i])))).not.toBe("", bad[i]);
  });
});

describe("url", () => {
  it("splits authority", () => {
    expect(parseServiceUrl("https://a.b:443/x").authority).toBe("a.b:443");
    expect(parseServiceUrl("http://[::1]:8080").authority).toBe("[::1]:8080");
    expect(parseServiceUrl("http://host").port).toBe(0);
  });
});
