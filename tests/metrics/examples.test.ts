// examples/observability/: the Prometheus scrape configuration, the PodMonitor, the PrometheusRule
// and the Grafana dashboard parse, use only metrics the policy defines (assembly/client/metrics.ts,
// held against both hosts by metrics-e2e.test.ts), and pass Prometheus' own checks: `promtool check
// config`, `promtool check rules` (the rules, and every dashboard query as a recording rule), and
// `promtool test rules` (each alert fires on the series it is about and stays quiet on a healthy
// gateway). promtool comes from Debian's `prometheus` package (.ci/run installs it); without it the
// test fails and says so.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import YAML from 'yaml';
import { policyMetrics } from './metrics.ts';

const DIR = new URL('../../examples/observability/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, DIR), 'utf8');
const tmp = mkdtempSync(path.join(tmpdir(), 'cequence-obs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('promtool is not installed: apt-get install prometheus (Debian), as .ci/run does');
    throw new Error(`promtool ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Every series name an expression reads that looks like the policy's. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bcequence_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

const known = new Set<string>();
for (const m of policyMetrics()) {
  if (m.kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(m.name + s);
  else known.add(m.name);
}

function assertKnown(where: string, expr: string): void {
  const used = metricsIn(expr);
  assert.ok(used.length > 0, `${where} reads no cequence metric: ${expr}`);
  for (const u of used) assert.ok(known.has(u), `${where} reads ${u}, which the policy does not define`);
}

test('prometheus.yml: promtool check config; every job scrapes /stats/prometheus for the policy', () => {
  promtool('check', 'config', new URL('prometheus.yml', DIR).pathname);
  const cfg = YAML.parse(read('prometheus.yml'));
  assert.ok(cfg.scrape_configs.length >= 1);
  for (const j of cfg.scrape_configs) {
    assert.equal(j.metrics_path, '/stats/prometheus', j.job_name);
    assert.deepEqual(j.params.filter, ['^wasmcustom\\.cequence_'], `${j.job_name}: Envoy's filter on the stat names`);
  }
});

test('prometheus-kubernetes-pods.yaml: the annotation job keeps annotated pods and rewrites path and port', () => {
  const cfg = YAML.parse(read('prometheus-kubernetes-pods.yaml'));
  const [job] = cfg.scrape_configs;
  assert.deepEqual(job.kubernetes_sd_configs, [{ role: 'pod' }]);
  assert.deepEqual(job.params.filter, ['^wasmcustom\\.cequence_']);
  // Prometheus relabelling: source labels joined with ';', the regex anchored, $n replaced.
  const relabel = (labels: Record<string, string>) => {
    const out = { ...labels };
    for (const r of job.relabel_configs) {
      const value = (r.source_labels as string[]).map((l) => out[l] ?? '').join(';');
      const re = new RegExp(`^(?:${r.regex ?? '(.*)'})$`);
      const m = re.exec(value);
      if ((r.action ?? 'replace') === 'keep') { if (!m) return undefined; continue; }
      if (m) out[r.target_label] = (r.replacement ?? '$1').replace(/\$(\d)/g, (_: string, i: string) => m[Number(i)] ?? '');
    }
    return out;
  };
  const pod = {
    __address__: '10.1.2.3:8081',
    __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
    __meta_kubernetes_pod_annotation_prometheus_io_port: '9901',
    __meta_kubernetes_pod_annotation_prometheus_io_path: '/stats/prometheus',
    __meta_kubernetes_namespace: 'gateway-system',
    __meta_kubernetes_pod_name: 'flex-gateway-0',
  };
  const t = relabel(pod)!;
  assert.equal(t.__address__, '10.1.2.3:9901');
  assert.equal(t.__metrics_path__, '/stats/prometheus');
  assert.equal(t.namespace, 'gateway-system');
  assert.equal(t.pod, 'flex-gateway-0');
  assert.equal(relabel({ ...pod, __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'false' }), undefined, 'a pod without the annotation is not scraped');
});

test('podmonitor.yaml: a Prometheus Operator PodMonitor on /stats/prometheus', () => {
  const pm = YAML.parse(read('podmonitor.yaml'));
  assert.equal(pm.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(pm.kind, 'PodMonitor');
  const [ep] = pm.spec.podMetricsEndpoints;
  assert.equal(ep.path, '/stats/prometheus');
  assert.deepEqual(ep.params.filter, ['^wasmcustom\\.cequence_']);
  assert.ok(ep.port);
});

const rulesDoc = YAML.parse(read('prometheus-rules.yaml'));
const rulesFile = path.join(tmp, 'rules.yaml');
writeFileSync(rulesFile, YAML.stringify({ groups: rulesDoc.spec.groups }));

test('prometheus-rules.yaml: a PrometheusRule whose alerts read only defined metrics; promtool check rules', () => {
  assert.equal(rulesDoc.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(rulesDoc.kind, 'PrometheusRule');
  const rules = rulesDoc.spec.groups.flatMap((g: any) => g.rules);
  assert.deepEqual(rules.map((r: any) => r.alert), ['CequenceTransactionsDropped', 'CequenceNothingSent', 'CequenceTokenFailures', 'CequenceEdgeUnauthorized']);
  for (const r of rules) {
    assertKnown(r.alert, r.expr);
    assert.ok(['warning', 'critical'].includes(r.labels.severity), `${r.alert}: severity`);
    assert.ok(r.annotations.summary && r.annotations.description, `${r.alert}: summary and description`);
  }
  assert.match(promtool('check', 'rules', rulesFile), /SUCCESS: 4 rules found/);
});

test('prometheus-rules.yaml: promtool test rules — each alert fires on its series, none on a healthy gateway', () => {
  const s = (name: string, values: string) => ({ series: `${name}{job="cequence-gateway", instance="gw:9901"}`, values });
  const labels = { job: 'cequence-gateway', instance: 'gw:9901' };
  const firing = (alertname: string, severity: string, eval_time: string) => ({ eval_time, alertname, exp_alerts: [{ exp_labels: { ...labels, severity } }] });
  const quiet = (alertname: string, eval_time: string) => ({ eval_time, alertname, exp_alerts: [] });
  // The same rules without annotations (promtool would otherwise compare the rendered texts too;
  // their templates are parsed by `check rules` above).
  const bare = path.join(tmp, 'rules-bare.yaml');
  writeFileSync(bare, YAML.stringify({ groups: rulesDoc.spec.groups.map((g: any) => ({ ...g, rules: g.rules.map(({ annotations, ...r }: any) => r) })) }));
  const tests = {
    rule_files: [bare],
    evaluation_interval: '1m',
    tests: [
      { // Healthy: captured and sent grow together, nothing dropped, no token or 401 trouble.
        interval: '1m',
        input_series: [
          s('cequence_transactions_captured_total', '0+100x30'), s('cequence_transactions_sent_total', '0+100x30'),
          s('cequence_transactions_dropped_total', '0x30'), s('cequence_token_failures_total', '0x30'),
          s('cequence_edge_responses_401_total', '0x30'),
        ],
        alert_rule_test: ['CequenceTransactionsDropped', 'CequenceNothingSent', 'CequenceTokenFailures', 'CequenceEdgeUnauthorized'].map((a) => quiet(a, '25m')),
      },
      { // Edge unreachable: traffic keeps being captured, nothing is sent, the queue bound drops.
        interval: '1m',
        input_series: [
          s('cequence_transactions_captured_total', '0+100x30'), s('cequence_transactions_sent_total', '500x30'),
          s('cequence_transactions_dropped_total', '0x5 0+50x25'),
        ],
        alert_rule_test: [quiet('CequenceTransactionsDropped', '4m'), firing('CequenceTransactionsDropped', 'warning', '10m'),
          firing('CequenceNothingSent', 'critical', '15m')],
      },
      { // Token endpoint refusing for more than 5 minutes; Edge refusing the token.
        interval: '1m',
        input_series: [s('cequence_token_failures_total', '0+1x20'), s('cequence_edge_responses_401_total', '0x5 1+1x15')],
        alert_rule_test: [quiet('CequenceTokenFailures', '3m'), firing('CequenceTokenFailures', 'warning', '12m'),
          quiet('CequenceEdgeUnauthorized', '4m'), firing('CequenceEdgeUnauthorized', 'critical', '8m')],
      },
    ],
  };
  const file = path.join(tmp, 'rules.test.yaml');
  writeFileSync(file, YAML.stringify(tests));
  assert.match(promtool('test', 'rules', file), /SUCCESS/);
});

test('grafana-dashboard.json: parses, every query reads only defined metrics and is valid PromQL (promtool)', () => {
  const d = JSON.parse(read('grafana-dashboard.json'));
  assert.equal(d.uid, 'cequence-policy');
  assert.ok(d.title);
  const ids = d.panels.map((p: any) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const exprs: { where: string; expr: string }[] = [];
  for (const p of d.panels) {
    assert.ok(p.gridPos && p.title && p.type, `panel ${p.id}`);
    assert.equal(p.datasource.uid, '${datasource}', `${p.title}: the datasource variable`);
    assert.ok(p.targets.length > 0, p.title);
    for (const t of p.targets) exprs.push({ where: `${p.title} (${t.refId})`, expr: t.expr });
  }
  for (const v of d.templating.list.filter((x: any) => x.type === 'query')) assertKnown(`variable ${v.name}`, v.query.query);
  for (const e of exprs) assertKnown(e.where, e.expr);
  const all = exprs.map((e) => e.expr).join('\n');
  // What the issue asks the dashboard to show.
  for (const needed of ['cequence_transactions_captured_total', 'cequence_transactions_sent_total', 'cequence_transactions_dropped_total',
    'cequence_queue_transactions', 'cequence_edge_responses_2xx_total', 'cequence_edge_responses_5xx_total', 'cequence_edge_timeouts_total']) {
    assert.ok(all.includes(needed), `the dashboard shows ${needed}`);
  }
  assert.match(all, /histogram_quantile\(0\.99, sum by \(le\) \(rate\(cequence_edge_round_trip_ms_bucket/, 'Edge latency p99');
  // Every query, with the dashboard variables filled in, as a recording rule: promtool parses the PromQL.
  const rules = exprs.map((e, i) => ({ record: `cequence:dashboard_query_${i}`, expr: e.expr.replace(/\$job|\$instance/g, '.*') }));
  const file = path.join(tmp, 'dashboard-queries.yaml');
  writeFileSync(file, YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
  assert.match(promtool('check', 'rules', file), new RegExp(`SUCCESS: ${rules.length} rules found`));
});
