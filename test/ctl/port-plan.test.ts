import { UsageError } from '../../services/src/ctl/errors';
import { DEFAULT_LOCAL_PORTS, pickPodPort, planGrafanaForward, planPortForwards } from '../../services/src/ctl/port-plan';
import type { V1Service } from '../../services/src/ctl/kube';
import { pod, service } from './objects';

const services = [
  service('api', [{ name: 'http', port: 8000, targetPort: 'http' }]),
  service('jaeger', [
    { name: 'otlp-grpc', port: 4317, targetPort: 4317 },
    { name: 'ui', port: 16686, targetPort: 16686 },
  ]),
  service('dashboard', [{ name: 'http', port: 5555, targetPort: 5555 }]),
  service('redis', [{ name: 'redis', port: 6379 }]),
];

describe('planPortForwards', () => {
  it('forwards API docs, Jaeger UI and the queue dashboard to their service ports', () => {
    const plan = planPortForwards(services);
    expect(plan.skipped).toEqual([]);
    expect(plan.forwards.map((f) => [f.component, f.service, f.servicePort, f.targetPort, f.localPort, f.url])).toEqual([
      ['api', 'pca-agent-api', 8000, 'http', 8000, 'http://127.0.0.1:8000/api/docs'],
      ['jaeger', 'pca-agent-jaeger', 16686, 16686, 16686, 'http://127.0.0.1:16686/'],
      ['dashboard', 'pca-agent-dashboard', 5555, 5555, 5555, 'http://127.0.0.1:5555/'],
    ]);
    expect(plan.forwards[0]!.selector).toEqual({ 'app.kubernetes.io/name': 'pca-agent', 'app.kubernetes.io/instance': 'pca-agent', 'app.kubernetes.io/component': 'api' });
  });

  it('uses the local ports asked for', () => {
    const plan = planPortForwards(services, { api: 18000, jaeger: 26686, dashboard: 15555, grafana: 13000 });
    expect(plan.forwards.map((f) => f.url)).toEqual(['http://127.0.0.1:18000/api/docs', 'http://127.0.0.1:26686/', 'http://127.0.0.1:15555/']);
  });

  it('skips a disabled component with the reason and plans the rest', () => {
    const plan = planPortForwards(services.filter((s) => s.metadata?.name !== 'pca-agent-jaeger'));
    expect(plan.forwards.map((f) => f.component)).toEqual(['api', 'dashboard']);
    expect(plan.skipped).toEqual([
      { component: 'jaeger', title: 'Jaeger UI', reason: 'no Service with app.kubernetes.io/component=jaeger in the release (disabled in the values?)' },
    ]);
  });

  it('refuses two dashboards on one local port, naming both', () => {
    expect(() => planPortForwards(services, { ...DEFAULT_LOCAL_PORTS, dashboard: 8000 })).toThrow(UsageError);
    expect(() => planPortForwards(services, { ...DEFAULT_LOCAL_PORTS, dashboard: 8000 })).toThrow('api and dashboard both want local port 8000');
  });

  it('refuses ports out of range', () => {
    expect(() => planPortForwards(services, { ...DEFAULT_LOCAL_PORTS, jaeger: 70000 })).toThrow('--jaeger-port must be a port number between 1 and 65535, got 70000');
  });

  it('falls back to a named port when the service uses another number', () => {
    const plan = planPortForwards([service('jaeger', [{ name: 'http-query', port: 80, targetPort: 16686 }])]);
    expect(plan.forwards[0]).toMatchObject({ servicePort: 80, targetPort: 16686 });
  });
});

describe('pickPodPort', () => {
  it('picks the first ready pod and resolves a named target port on it', () => {
    const pods = [pod('api-old', 'api', { ready: false }), pod('api-new', 'api')];
    expect(pickPodPort(pods, 'http', 'pca-agent-api')).toEqual({ pod: 'api-new', port: 8000 });
    expect(pickPodPort(pods, 9464, 'pca-agent-api')).toEqual({ pod: 'api-new', port: 9464 });
  });

  it('explains when no pod is ready or the port name is unknown', () => {
    expect(() => pickPodPort([pod('a', 'api', { ready: false })], 'http', 'pca-agent-api')).toThrow('No ready pod behind Service pca-agent-api');
    expect(() => pickPodPort([pod('a', 'api')], 'metrics', 'pca-agent-api')).toThrow('Pod a has no container port named "metrics"');
  });
});

describe('planGrafanaForward', () => {
  const grafana = (namespace: string, name: string): V1Service => ({
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kube-prometheus-stack' } },
    spec: { selector: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kube-prometheus-stack' }, ports: [{ name: 'http-web', port: 80, targetPort: 3000 }] },
  });

  it("forwards kube-prometheus-stack's Grafana (service port 80, http-web) to its pods' port, in the Service's namespace", () => {
    const f = planGrafanaForward([grafana('monitoring', 'kube-prometheus-stack-grafana')], 'pca', 3000);
    expect(f).toMatchObject({ component: 'grafana', service: 'kube-prometheus-stack-grafana', namespace: 'monitoring', servicePort: 80, targetPort: 3000, url: 'http://127.0.0.1:3000/dashboards?tag=pca-agent' });
  });

  it("prefers a Grafana in the release's namespace, then the first by namespace", () => {
    expect(planGrafanaForward([grafana('zeta', 'g'), grafana('pca', 'mine'), grafana('alpha', 'a')], 'pca', 3000)).toMatchObject({ service: 'mine', namespace: 'pca' });
    expect(planGrafanaForward([grafana('zeta', 'g'), grafana('alpha', 'a')], 'pca', 3000)).toMatchObject({ service: 'a', namespace: 'alpha' });
  });

  it('says how it looked when there is none', () => {
    expect(planGrafanaForward([], 'pca', 3000)).toEqual({
      component: 'grafana',
      title: 'Grafana',
      reason: "no Service labelled app.kubernetes.io/name=grafana (kube-prometheus-stack's Grafana) that this context can list",
    });
  });

  it('checks --grafana-port with the others', () => {
    expect(() => planPortForwards(services, { ...DEFAULT_LOCAL_PORTS, grafana: 8000 })).toThrow(/both want local port 8000.*--grafana-port/);
  });
});
