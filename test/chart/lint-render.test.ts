import { CHART_DIR, helm, render, scenarios } from './helm';

describe('helm lint and helm template', () => {
  test.each(scenarios().map((s) => [s.name, s.args] as const))('helm lint --strict passes: %s', (_name, args) => {
    const r = helm(['lint', '--strict', CHART_DIR, ...args]);
    expect(`${r.stdout}${r.stderr}`).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  test.each(scenarios().map((s) => [s.name, s.args] as const))('renders on the oldest and newest supported Kubernetes: %s', (_name, args) => {
    for (const v of ['1.27.0', '1.36.0']) {
      const objects = render([...args, '--kube-version', v]);
      expect(objects.length).toBeGreaterThan(10);
    }
  });

  test('Chart.yaml kubeVersion refuses clusters older than the tested minimum and has no upper bound', () => {
    const r = helm(['template', 'rel', CHART_DIR, '--kube-version', '1.26.9']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/kubeVersion|incompatible/i);
    // A newer cluster than any tested today still installs (the chart uses only GA APIs).
    for (const v of ['1.27.0', '1.36.0', '1.37.0']) expect({ v, status: helm(['template', 'rel', CHART_DIR, '--kube-version', v]).status }).toEqual({ v, status: 0 });
  });

  test('every default component is rendered, named from the release', () => {
    const names = render().map((o) => `${o.kind}/${o.metadata.name}`);
    for (const expected of [
      'Deployment/rel-pca-agent-api',
      'Service/rel-pca-agent-api',
      'Deployment/rel-pca-agent-worker',
      'Deployment/rel-pca-agent-dashboard',
      'Service/rel-pca-agent-dashboard',
      'StatefulSet/rel-pca-agent-redis',
      'Service/rel-pca-agent-redis',
      'Deployment/rel-pca-agent-otel-collector',
      'ConfigMap/rel-pca-agent-otel-collector',
      'Deployment/rel-pca-agent-jaeger',
      'Service/rel-pca-agent-jaeger',
      'CronJob/rel-pca-agent-cleanup-old-reports',
      'CronJob/rel-pca-agent-refresh-benchmarks',
      'CronJob/rel-pca-agent-health-check',
      'ConfigMap/rel-pca-agent-config',
      'Secret/rel-pca-agent-auth',
      'Secret/rel-pca-agent-redis',
      'Secret/rel-pca-agent-dashboard',
      'PodDisruptionBudget/rel-pca-agent-api',
      'Pod/rel-pca-agent-smoke-test',
    ]) {
      expect(names).toContain(expected);
    }
    expect(names.filter((n) => n.startsWith('NetworkPolicy/') || n.startsWith('Ingress/') || n.startsWith('ServiceMonitor/'))).toEqual([]);
  });
});
