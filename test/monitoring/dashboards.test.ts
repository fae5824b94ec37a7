import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DASHBOARDS, dashboardJson } from '../../cdk8s/lib/monitoring/dashboards';
import { CHART_DIR, render, type K8sObject } from '../chart/helm';
import { PROMETHEUS_OPERATOR_APIS, promtool, writeRuleFile } from './promtool';
import { withSampleVariables } from './promql';

type ConfigMap = K8sObject & { data: Record<string, string> };
interface GrafanaDashboard {
  uid: string;
  templating: { list: { name: string; type: string }[] };
  panels: { title: string; datasource: { uid: string }; targets: { expr: string; legendFormat: string; datasource: { uid: string } }[] }[];
}

const dashboardMaps = (objects: K8sObject[]) => objects.filter((o): o is ConfigMap => o.kind === 'ConfigMap' && o.metadata.name.includes('-dashboard-'));

test('with the Prometheus Operator APIs each dashboard is a ConfigMap the Grafana sidecar picks up; without them none', () => {
  const maps = dashboardMaps(render(PROMETHEUS_OPERATOR_APIS));
  expect(maps.map((m) => m.metadata.name).sort()).toEqual(['rel-pca-agent-dashboard-api', 'rel-pca-agent-dashboard-jobs', 'rel-pca-agent-dashboard-redis-pipeline']);
  for (const m of maps) {
    expect(m.metadata.labels).toMatchObject({ grafana_dashboard: '1', 'app.kubernetes.io/instance': 'rel' });
    expect(m.metadata.annotations).toMatchObject({ grafana_folder: 'pca-agent' });
  }
  const byFile = new Map(maps.flatMap((m) => Object.entries(m.data)));
  for (const d of DASHBOARDS) {
    const shipped = byFile.get(d.file)!;
    // What the ConfigMap carries is the chart file byte for byte, which is the definition's JSON.
    expect(shipped).toBe(readFileSync(join(CHART_DIR, 'dashboards', d.file), 'utf8'));
    expect(JSON.parse(shipped)).toEqual(dashboardJson(d));
  }
  expect(dashboardMaps(render())).toEqual([]);
  expect(dashboardMaps(render(['--api-versions', 'monitoring.coreos.com/v1/PrometheusRule', '--set', 'dashboards.enabled=false']))).toEqual([]);
});

test('Grafana legends survive Helm; every panel reads the datasource variable', () => {
  const maps = dashboardMaps(render(PROMETHEUS_OPERATOR_APIS));
  const api = JSON.parse(maps.find((m) => m.metadata.name.endsWith('-api'))!.data['pca-agent-api.json']!) as GrafanaDashboard;
  expect(api.panels[0]!.targets[0]!.legendFormat).toBe('{{route}}');
  for (const m of maps) {
    const d = JSON.parse(Object.values(m.data)[0]!) as GrafanaDashboard;
    expect(d.templating.list.map((v) => `${v.name}:${v.type}`)).toEqual(['datasource:datasource', 'namespace:query', 'release:query']);
    for (const p of d.panels) {
      expect(p.datasource.uid).toBe('${datasource}');
      for (const t of p.targets) expect(t.datasource.uid).toBe('${datasource}');
    }
  }
});

test('the sidecar label and folder come from values', () => {
  const maps = dashboardMaps(
    render([...PROMETHEUS_OPERATOR_APIS, '--set', 'dashboards.label=my_dashboards', '--set', 'dashboards.labelValue=yes', '--set', 'dashboards.folderAnnotation=k8s-sidecar-target-directory', '--set', 'dashboards.folder=/tmp/dashboards/pca']),
  );
  expect(maps).toHaveLength(3);
  for (const m of maps) {
    expect(m.metadata.labels).toMatchObject({ my_dashboards: 'yes' });
    expect(m.metadata.labels).not.toHaveProperty('grafana_dashboard');
    expect(m.metadata.annotations).toMatchObject({ 'k8s-sidecar-target-directory': '/tmp/dashboards/pca' });
  }
});

test("every panel's PromQL parses (promtool check rules, each target as a recording rule)", () => {
  const rules = DASHBOARDS.flatMap((d) =>
    d.panels.flatMap((p, i) => p.targets.map((t, j) => ({ record: `dashboard:${d.uid.replace(/-/g, '_')}:panel${i}_${j}`, expr: withSampleVariables(t.expr) }))),
  );
  const dir = writeRuleFile([{ name: 'dashboards', rules }]);
  const r = promtool(['check', 'rules', join(dir, 'rules.yaml')]);
  expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
  expect(r.status).toBe(0);
  // The check can fail: a broken expression is refused.
  writeFileSync(join(dir, 'broken.yaml'), stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (route (rate(x[5m]))' }] }] }));
  expect(promtool(['check', 'rules', join(dir, 'broken.yaml')]).status).not.toBe(0);
});
