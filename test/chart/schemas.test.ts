import { crdUnknownFields, isCrd } from './crd-fields';
import { find, render, scenarioRenders } from './helm';
import { validateObjects as validate } from './validate';

/**
 * API versions served by every Kubernetes release from the oldest (1.27) to the newest (1.35) the
 * chart supports (all GA; none deprecated in that range), plus the CRDs it gates on capabilities.
 */
const SERVED_1_27_TO_1_35 = new Set([
  'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/ServiceAccount', 'v1/Pod', 'v1/PersistentVolumeClaim',
  'apps/v1/Deployment', 'apps/v1/StatefulSet', 'batch/v1/CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler', 'policy/v1/PodDisruptionBudget',
  'networking.k8s.io/v1/NetworkPolicy', 'networking.k8s.io/v1/Ingress',
]);
const GATED_CRDS = new Set([
  'keda.sh/v1alpha1/ScaledObject', 'keda.sh/v1alpha1/TriggerAuthentication', 'monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule',
  'gateway.networking.k8s.io/v1/HTTPRoute',
]);

describe('every rendered object validated offline', () => {
  const renders = scenarioRenders();

  test.each(renders.map((r) => [r.name, r.objects] as const))(
    'kubernetes-models / KEDA / Gateway API schema + unknown-field walk find no error: %s',
    (_name, objects) => {
      const checked = objects.filter((o) => o.apiVersion !== 'monitoring.coreos.com/v1');
      const results = validate(checked);
      expect(results).toHaveLength(checked.length);
      const errors = results.filter((r) => r.errors.length);
      const crdErrors = objects.filter(isCrd).flatMap((o) => crdUnknownFields(o).map((e) => `${o.metadata.name}: ${e}`));
      expect({ errors, crdErrors }).toEqual({ errors: [], crdErrors: [] });
    },
  );

  test.each(renders.map((r) => [r.name, r.objects] as const))('only API versions served from Kubernetes 1.27 to 1.35 (or capability-gated CRDs): %s', (_name, objects) => {
    for (const o of objects) {
      const gvk = `${o.apiVersion}/${o.kind}`;
      expect({ gvk, ok: SERVED_1_27_TO_1_35.has(gvk) || GATED_CRDS.has(gvk) }).toEqual({ gvk, ok: true });
    }
  });

  test('the validators do catch mistakes (a misspelled field, a wrong type, an unknown KEDA field)', () => {
    const objects = render(['--api-versions', 'keda.sh/v1alpha1/ScaledObject']);
    const dep = structuredClone(find(objects, 'Deployment', 'rel-pca-agent-api')) as any;
    dep.spec.replica = 2;
    dep.spec.template.spec.containers[0].readinesProbe = dep.spec.template.spec.containers[0].readinessProbe;
    const svc = structuredClone(find(objects, 'Service', 'rel-pca-agent-api')) as any;
    svc.spec.ports[0].port = 'eighty';
    const [d, s] = validate([dep, svc]);
    expect(d?.errors.join('\n')).toMatch(/spec\.replica: unknown field/);
    expect(d?.errors.join('\n')).toMatch(/readinesProbe: unknown field/);
    expect(s?.errors.join('\n')).toMatch(/schema:/);
    const so = structuredClone(find(objects, 'ScaledObject', 'rel-pca-agent-worker')) as any;
    so.spec.triggers[0].metdata = so.spec.triggers[0].metadata;
    so.spec.minReplicas = 1;
    expect(crdUnknownFields(so).sort()).toEqual(['ScaledObject.spec.minReplicas: unknown field', 'ScaledObject.spec.triggers[0].metdata: unknown field']);
  });

  test('HTTPRoutes are checked too: a misspelled field, a string port, an invalid host name', () => {
    const objects = render([
      '--api-versions', 'gateway.networking.k8s.io/v1/HTTPRoute',
      '--set', 'httpRoute.enabled=true', '--set', 'httpRoute.parentRefs[0].name=public', '--set', 'httpRoute.hostnames[0]=pca.example.com',
    ]);
    const route = find(objects, 'HTTPRoute', 'rel-pca-agent-api') as any;
    expect(validate([route])[0]?.errors).toEqual([]);
    expect(crdUnknownFields(route)).toEqual([]);
    const typo = structuredClone(route);
    typo.spec.parentRefs[0].sectionNmae = 'https';
    typo.spec.rules[0].backendRef = typo.spec.rules[0].backendRefs;
    expect(crdUnknownFields(typo).sort()).toEqual(['HTTPRoute.spec.parentRefs[0].sectionNmae: unknown field', 'HTTPRoute.spec.rules[0].backendRef: unknown field']);
    const wrong = structuredClone(route);
    wrong.spec.rules[0].backendRefs[0].port = 'http';
    wrong.spec.hostnames = ['PCA_host'];
    const errors = validate([wrong])[0]?.errors.join('\n');
    expect(errors).toMatch(/backendRefs\/0\/port must be integer/);
    expect(errors).toMatch(/hostnames\/0 must match pattern/);
  });
});
