import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ALERTS } from '../../cdk8s/lib/monitoring/alerts';
import { RUNBOOK_URL } from '../../cdk8s/lib/monitoring/monitoring-values';
import { render, valuesFile } from '../chart/helm';
import { renderNotes } from '../chart/notes';
import { PROMETHEUS_OPERATOR_APIS, promtool, renderedRuleGroups, writeRuleFile, type RuleGroup } from './promtool';

interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface RuleTest {
  alertname: string;
  eval_time: string;
  exp_alerts: ExpectedAlert[];
}
interface Cases {
  tests: { name: string; alert_rule_test?: RuleTest[] }[];
}

const CASES = join(__dirname, 'alerts.promtool.yaml');
const alertRules = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules.filter((r) => r.alert));

let groups: RuleGroup[];
beforeAll(() => {
  groups = renderedRuleGroups();
});

test('with the Prometheus Operator APIs the chart renders one PrometheusRule with every alert; without them, or disabled, none', () => {
  expect(alertRules(groups).map((r) => r.alert)).toEqual(ALERTS.map((a) => a.name));
  expect(render().filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  expect(render(['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor']).filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  expect(render([...PROMETHEUS_OPERATOR_APIS, '--set', 'alerts.enabled=false']).filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
});

test('the defaults scrape what the alerts and dashboards read; without the ServiceMonitor neither renders, and NOTES says why', () => {
  // The rules select the ServiceMonitor's job labels: a rule without it would report the API absent at once.
  const kinds = (args: string[]) => render([...PROMETHEUS_OPERATOR_APIS, ...args]).filter((o) => ['ServiceMonitor', 'PrometheusRule'].includes(o.kind) || o.metadata.name.includes('-dashboard-'));
  expect(kinds([]).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'ConfigMap/rel-pca-agent-dashboard-api', 'ConfigMap/rel-pca-agent-dashboard-jobs', 'ConfigMap/rel-pca-agent-dashboard-redis-pipeline',
    'PrometheusRule/rel-pca-agent-alerts', 'ServiceMonitor/rel-pca-agent-metrics', 'ServiceMonitor/rel-pca-agent-otel-collector',
  ]);
  expect(kinds(['--set', 'serviceMonitor.enabled=false'])).toEqual([]);
  expect(renderNotes([...PROMETHEUS_OPERATOR_APIS, '--set', 'serviceMonitor.enabled=false'])).toContain('ServiceMonitors, alerts and dashboards: serviceMonitor.enabled is false');
  expect(renderNotes([])).toContain('ServiceMonitors, alerts and dashboards: monitoring.coreos.com/v1 is not served');
  expect(renderNotes(PROMETHEUS_OPERATOR_APIS)).not.toContain('ServiceMonitors, alerts and dashboards');
});

test('promtool check rules accepts the rendered rules', () => {
  const dir = writeRuleFile(groups);
  const r = promtool(['check', 'rules', join(dir, 'rules.yaml')]);
  expect(r.output).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  expect(r.status).toBe(0);
});

test('promtool test rules: every alert fires on its input series and stays silent where it must', () => {
  const cases = parse(readFileSync(CASES, 'utf8')) as Cases;
  const byName = new Map(ALERTS.map((a) => [a.name, a]));
  const fires = new Set<string>();
  const silent = new Set<string>();
  for (const t of cases.tests) {
    for (const rt of t.alert_rule_test ?? []) {
      const def = byName.get(rt.alertname);
      if (!def) throw new Error(`${t.name}: unknown alert ${rt.alertname}`);
      if (rt.exp_alerts.length > 0) fires.add(rt.alertname);
      // A case that must not fire: an empty expectation, or other input series in a case named "... not ...".
      if (rt.exp_alerts.length === 0 || /\bnot\b/.test(t.name)) silent.add(rt.alertname);
      for (const e of rt.exp_alerts) {
        e.exp_annotations = { ...e.exp_annotations, description: def.description, runbook_url: `${RUNBOOK_URL}#${def.name.toLowerCase()}` };
      }
    }
  }
  expect([...fires].sort()).toEqual(ALERTS.map((a) => a.name).sort());
  expect([...silent].sort()).toEqual(ALERTS.map((a) => a.name).sort());
  const dir = writeRuleFile(groups);
  writeFileSync(join(dir, 'alerts.promtool.yaml'), stringify(cases, { lineWidth: 0 }));
  const r = promtool(['test', 'rules', 'alerts.promtool.yaml'], { cwd: dir });
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

test('a broken expectation makes promtool test rules fail (the harness can fail)', () => {
  // The first case as written, without the description and runbook_url the real test adds.
  const cases = parse(readFileSync(CASES, 'utf8')) as Cases;
  const dir = writeRuleFile(groups);
  writeFileSync(join(dir, 'alerts.promtool.yaml'), stringify({ ...cases, tests: cases.tests.slice(0, 1) }, { lineWidth: 0 }));
  const r = promtool(['test', 'rules', 'alerts.promtool.yaml'], { cwd: dir });
  expect(r.status).not.toBe(0);
  expect(r.output).toContain('FAILED');
});

test('per-alert values reach the rules: thresholds, for, severity, enabled and extra labels', () => {
  const tuned = alertRules(
    renderedRuleGroups(
      valuesFile({
        alerts: {
          alertLabels: { team: 'ops' },
          runbookUrl: 'https://wiki.example/pca',
          rules: { apiDown: { enabled: false }, apiErrorRatioHigh: { threshold: 0.25, for: '3m', severity: 'warning', labels: { team: 'api' } } },
        },
      }),
      'other',
    ),
  );
  const ratio = tuned.find((r) => r.alert === 'PcaApiErrorRatioHigh')!;
  expect(ratio.expr).toMatch(/ > 0\.25$/);
  expect(ratio.expr).toContain('job="other-pca-agent-api",namespace="pca"');
  expect(ratio).toMatchObject({ for: '3m', labels: { severity: 'warning', team: 'api' }, annotations: { runbook_url: 'https://wiki.example/pca#pcaapierrorratiohigh' } });
  expect(tuned.find((r) => r.alert === 'PcaApiDown')).toBeUndefined();
  expect(tuned.find((r) => r.alert === 'PcaRedisUnreachable')!.labels).toEqual({ severity: 'critical', team: 'ops' });
  // Prometheus templates reach Prometheus literally through Helm.
  expect(tuned.find((r) => r.alert === 'PcaQueueOldestJobTooOld')!.annotations!.summary).toBe('Queue {{ $labels.queue }} has a job waiting for {{ $value | humanizeDuration }}');
});

test('a bad threshold is refused by the values schema, naming the key', () => {
  expect(() => render([...PROMETHEUS_OPERATOR_APIS, '--set', 'alerts.rules.apiLatencyHigh.thresholdSeconds=fast'])).toThrow(/alerts\/rules\/apiLatencyHigh\/thresholdSeconds/);
  expect(() => render([...PROMETHEUS_OPERATOR_APIS, '--set', 'alerts.rules.apiDown.for=5 minutes'])).toThrow(/alerts\/rules\/apiDown\/for/);
});
