// The built policy module in the emulator's host: start-up lines for a good configuration, one error line
// naming the field for each kind of bad one, and in every case traffic passes untouched with no trap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHost, type ProxyWasmHost } from "../../emulator/host/index.ts";

const wasm = readFileSync(new URL("../../policies-k8s/cequence_policy.wasm", import.meta.url));
const schema = JSON.parse(readFileSync(new URL("../../schema/config.schema.json", import.meta.url), "utf8"));
const GOOD = {
  cequenceAuthUrl: "https://auth.example.com",
  cequenceEdgeUrl: "https://edge.example.com",
  cequenceClientId: "client-1",
  cequenceClientSecret: "TOP-SECRET-value",
  cequenceAuthPath: "/oauth/token",
};

const cequenceLines = (host: ProxyWasmHost) => host.logs.filter((l) => l.message.startsWith("[cequence]")).map((l) => l.message);

async function start(config: string | object) {
  const host = await createHost(wasm, { config, workers: 1 });
  return host;
}

function passThrough(host: ProxyWasmHost) {
  const body = Buffer.from("x".repeat(5000));
  const r = host.runStream({
    request: { headers: { ":method": "POST", ":path": "/orders?id=7", ":authority": "api.local", ":scheme": "http", "x-multi": ["a", "b"] }, body: [body.subarray(0, 1000), body.subarray(1000)] },
    response: { headers: { ":status": "201", "content-type": "text/plain" }, body: ["created"] },
  });
  assert.equal(r.reset, undefined);
  assert.equal(r.localReply, undefined);
  assert.ok(r.upstream.body.equals(body), "upstream got the request body unchanged");
  assert.deepEqual(r.upstream.headers!.filter(([k]) => k === "x-multi"), [["x-multi", "a"], ["x-multi", "b"]]);
  assert.equal(r.downstream.body.toString(), "created");
  assert.deepEqual(r.downstream.headers!.find(([k]) => k === ":status"), [":status", "201"]);
  for (const vm of host.vms) assert.equal(vm.failed, false, "the VM did not trap");
}

test("a good configuration logs exactly the two start-up lines", async () => {
  const host = await start(GOOD);
  try {
    assert.deepEqual(cequenceLines(host), ["[cequence] Policy configured (debug_logs=false)", "[cequence] Root context initialized"]);
    passThrough(host);
  } finally { host.close(); }
});

test("debug_logs=true, and the effective configuration equals the schema defaults", async () => {
  const host = await start({ ...GOOD, enableDebugLogs: true });
  try {
    const lines = cequenceLines(host);
    assert.equal(lines[0], "[cequence] Policy configured (debug_logs=true)");
    assert.ok(lines.includes("[cequence] Root context initialized"));
    const cfg = lines.find((l) => l.startsWith("[cequence] Configuration: "))!;
    assert.ok(cfg, "debug mode describes the effective configuration");
    assert.ok(!cfg.includes("TOP-SECRET-value"), "the secret is not in the description");
    const d = (n: string) => schema.properties[n].default;
    const expect = [
      `serviceNamespace=${d("serviceNamespace")}`, `edgePath=${d("cequenceEdgePath")}`,
      `status=${d("cequenceMinStatusCode")}-${d("cequenceMaxStatusCode")}`, `bodyLimit=${d("cequenceBodyLimitBytes")}`,
      `batch=${d("cequenceBatchMaxTransactions")}/${d("cequenceBatchMaxBytes")}B/${d("cequenceFlushIntervalMs")}ms`,
      `queue=${d("cequenceQueueMaxTransactions")}/${d("cequenceQueueMaxBytes")}B`, `inFlight=${d("cequenceMaxInFlightBatches")}`,
      `timeouts=${d("cequenceEdgeTimeoutMs")}/${d("cequenceAuthTimeoutMs")}ms`,
      `retry=${d("cequenceRetryInitialBackoffMs")}-${d("cequenceRetryMaxBackoffMs")}ms giveUp=${d("cequenceRetryGiveUpMs")}ms`,
      `tokenMargin=${d("cequenceTokenRefreshMarginSeconds")}s stats=${d("cequenceStatsIntervalMs")}ms`,
      `authEnabled=${d("cequenceAuthEnabled")}`,
    ];
    for (const part of expect) assert.ok(cfg.includes(part), `effective configuration has ${part}: ${cfg}`);
  } finally { host.close(); }
});

const BAD: [string, string | object, RegExp][] = [
  ["empty configuration", "", /configuration is empty/],
  ["malformed JSON", '{"cequenceAuthUrl": "https://a", ', /not valid JSON/],
  ["binary garbage", Buffer.from([0xff, 0x00, 0x7b, 0x22]).toString("latin1"), /not valid JSON/],
  ["a JSON array", "[1,2,3]", /must be a JSON object/],
  ["a wrong type", { ...GOOD, cequenceMaxStatusCode: "499" }, /cequenceMaxStatusCode: must be an integer/],
  ["a status out of range", { ...GOOD, cequenceMaxStatusCode: 700 }, /cequenceMaxStatusCode: must be between 100 and 599, got 700/],
  ["inverted status codes", { ...GOOD, cequenceMinStatusCode: 400, cequenceMaxStatusCode: 200 }, /cequenceMinStatusCode: must not exceed cequenceMaxStatusCode/],
  ["missing credentials", { ...GOOD, cequenceClientSecret: "" }, /cequenceClientSecret: is required when cequenceAuthEnabled is true/],
  ["a bad URL scheme", { ...GOOD, cequenceEdgeUrl: "edge.example.com" }, /cequenceEdgeUrl: must start with http:\/\/ or https:\/\//],
  ["a path without a slash", { ...GOOD, cequenceEdgePath: "api-transactions" }, /cequenceEdgePath: must begin with '\/'/],
  ["a bad namespace", { ...GOOD, serviceNamespace: "Prod_NS" }, /serviceNamespace: must be a Kubernetes namespace name/],
  ["deep nesting", "[".repeat(5000) + "]".repeat(5000), /not valid JSON/],
];

for (const [what, config, reason] of BAD) {
  test(`${what}: one error line naming the cause, traffic passes, no trap`, async () => {
    const host = await start(config);
    try {
      const lines = cequenceLines(host);
      assert.equal(lines.length, 1, `exactly one line: ${JSON.stringify(lines)}`);
      assert.match(lines[0], /^\[cequence\] Invalid configuration, capture disabled: /);
      assert.match(lines[0], reason);
      assert.ok(!lines[0].includes("TOP-SECRET-value"));
      const errorEntries = host.logs.filter((l) => l.message.startsWith("[cequence]") && l.level === "error");
      assert.equal(errorEntries.length, 1, "the line is logged at error level");
      passThrough(host);
      passThrough(host);
    } finally { host.close(); }
  });
}

test("an unknown field is a warning naming it; the policy still starts", async () => {
  const host = await start({ ...GOOD, cequenceEdgeURL: "typo" });
  try {
    const lines = cequenceLines(host);
    assert.deepEqual(lines, [
      "[cequence] Configuration warning: cequenceEdgeURL: unknown field, ignored",
      "[cequence] Policy configured (debug_logs=false)",
      "[cequence] Root context initialized",
    ]);
  } finally { host.close(); }
});

test("an implementation whose rootId was edited still serves traffic (one warning, no trap)", async () => {
  const host = await createHost(wasm, { config: GOOD, workers: 1, rootId: "renamed" });
  try {
    passThrough(host);
    assert.ok(host.logs.some((l) => l.message.includes("root id 'renamed' is not registered; using 'main'")));
    assert.ok(cequenceLines(host).includes("[cequence] Root context initialized"));
  } finally { host.close(); }
});

test("tearing the root context down says what was not sent", async () => {
  const host = await createHost(wasm, { config: GOOD, workers: 1 });
  host.runStream({
    request: { headers: { ":method": "GET", ":path": "/a", ":authority": "api.local", ":scheme": "http" } },
    response: { headers: { ":status": "200" }, body: ["ok"] },
  });
  host.close();
  const last = cequenceLines(host).at(-1)!;
  assert.match(last, /^\[cequence\] Shutting down: 1 transaction\(s\) queued or in flight are not sent; Stats: captured=1 sent=0 dropped=0 /);
});
