import { render, type K8sObject } from './helm';

const ids = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('names derive from the release', () => {
  test('two releases in one namespace share no object name and select no pod of the other', () => {
    const a = render([], 'alpha');
    const b = render([], 'beta');
    const clash = ids(a).filter((id) => ids(b).includes(id));
    expect(clash).toEqual([]);
    for (const o of a) expect(o.metadata.name.startsWith('alpha-pca-agent')).toBe(true);
    const selectors = (objects: K8sObject[]) => objects.map((o) => (o as any).spec?.selector?.matchLabels).filter(Boolean) as Record<string, string>[];
    for (const sel of selectors(a)) expect(sel['app.kubernetes.io/instance']).toBe('alpha');
    for (const sel of selectors(b)) expect(sel['app.kubernetes.io/instance']).toBe('beta');
  });

  test('a release name containing pca-agent is used as is; fullnameOverride and nameOverride win', () => {
    expect(render([], 'pca-agent-prod').map((o) => o.metadata.name)).toContain('pca-agent-prod-api');
    expect(render(['--set', 'fullnameOverride=campaigns']).map((o) => o.metadata.name)).toContain('campaigns-worker');
    const renamed = render(['--set', 'nameOverride=pca']);
    expect(renamed.map((o) => o.metadata.name)).toContain('rel-pca-api');
    expect(renamed.every((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'pca')).toBe(true);
  });

  test('every name fits its Kubernetes limit even for a long release name (CronJob ≤ 52, others ≤ 63)', () => {
    const objects = render([], 'a-very-long-release-name-for-testing-limits');
    for (const o of objects) {
      const limit = o.kind === 'CronJob' ? 52 : 63;
      expect({ name: o.metadata.name, fits: o.metadata.name.length <= limit && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.metadata.name) }).toEqual({ name: o.metadata.name, fits: true });
    }
    expect(new Set(ids(objects)).size).toBe(objects.length);
  });

  test('commonLabels reach every object', () => {
    for (const o of render(['--set', 'commonLabels.team=growth'])) expect(o.metadata.labels?.team).toBe('growth');
  });

  test('components are wired by reference: env, ports and targets point at the rendered Services', () => {
    const objects = render();
    const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, o as any]));
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'rel-pca-agent-config') as any;
    const otlp = new URL(cm.data.OTEL_EXPORTER_OTLP_ENDPOINT as string);
    expect(services.get(otlp.hostname)?.spec.ports.map((p: any) => p.port)).toContain(Number(otlp.port));
    const collectorCfg = (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'rel-pca-agent-otel-collector') as any).data['config.yaml'] as string;
    const [jaegerHost, jaegerPort] = (collectorCfg.match(/endpoint: (rel-pca-agent-jaeger:\d+)/)?.[1] ?? '').split(':');
    expect(services.get(jaegerHost ?? '')?.spec.ports.map((p: any) => p.port)).toContain(Number(jaegerPort));
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'rel-pca-agent-api') as any;
    const url = api.spec.template.spec.containers[0].env.find((e: any) => e.name === 'REDIS_URL').value as string;
    expect(services.get('rel-pca-agent-redis')?.spec.ports[0].port).toBe(6379);
    expect(url).toBe('redis://rel-pca-agent-redis:6379/0'); // credentials come separately (REDIS_PASSWORD)
    for (const svc of services.values()) {
      const pod = objects.find((o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && Object.entries(svc.spec.selector).every(([k, v]) => (o as any).spec.template.metadata.labels[k] === v)) as any;
      expect({ svc: svc.metadata.name, selectsAPod: Boolean(pod) }).toEqual({ svc: svc.metadata.name, selectsAPod: true });
      const portNames = pod.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name));
      for (const p of svc.spec.ports) expect(portNames).toContain(p.targetPort);
    }
  });
});
