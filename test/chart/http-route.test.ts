import { CHART_DIR, find, helm, render, scenarios, valuesFile, WITH_OPTIONAL_APIS } from './helm';
import { renderNotes } from './notes';

const GATEWAY_API = ['--api-versions', 'gateway.networking.k8s.io/v1/HTTPRoute'];

const ROUTE_VALUES = {
  httpRoute: {
    enabled: true,
    annotations: { 'example.com/owner': 'analytics' },
    parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }],
    hostnames: ['pca.example.com'],
    path: '/pca',
    matches: [{ path: { type: 'PathPrefix', value: '/campaigns-api' } }],
    filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
  },
};

function rejects(args: string[]): string {
  const r = helm(['template', 'rel', CHART_DIR, ...args]);
  expect(r.status).not.toBe(0);
  return r.stderr;
}

describe('Gateway API HTTPRoute', () => {
  test('renders the API route from the values when the cluster serves gateway.networking.k8s.io/v1', () => {
    const objects = render([...GATEWAY_API, ...valuesFile(ROUTE_VALUES)]);
    const route = find(objects, 'HTTPRoute', 'rel-pca-agent-api') as any;
    const service = find(objects, 'Service', 'rel-pca-agent-api') as any;
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.metadata.annotations).toEqual({ 'example.com/owner': 'analytics' });
    expect(route.metadata.labels['app.kubernetes.io/component']).toBe('api');
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }],
      hostnames: ['pca.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/pca' } }, { path: { type: 'PathPrefix', value: '/campaigns-api' } }],
          filters: ROUTE_VALUES.httpRoute.filters,
          // The route's backend is the API Service and its port, by reference.
          backendRefs: [{ name: service.metadata.name, port: service.spec.ports[0].port }],
        },
      ],
    });
    // No TLS on the route: it belongs to the Gateway's listener.
    expect(JSON.stringify(route)).not.toMatch(/tls/i);
    expect(objects.filter((o) => o.kind === 'HTTPRoute').map((o) => o.metadata.name)).toEqual(['rel-pca-agent-api']);
  });

  test('defaults: only the path prefix /, no hostnames (every host of the listener), no filters', () => {
    const route = find(render([...GATEWAY_API, '--set', 'httpRoute.enabled=true', '--set', 'httpRoute.parentRefs[0].name=public']), 'HTTPRoute', 'rel-pca-agent-api') as any;
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'public' }],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'rel-pca-agent-api', port: 8000 }] }],
    });
  });

  test('nothing Gateway-related renders without the Gateway API, in any scenario, even with httpRoute enabled', () => {
    for (const s of scenarios()) {
      const bare = render(s.args);
      expect({ scenario: s.name, kinds: bare.filter((o) => o.apiVersion.startsWith('gateway.networking.k8s.io/')).map((o) => o.kind) }).toEqual({ scenario: s.name, kinds: [] });
    }
    expect(render(valuesFile(ROUTE_VALUES)).filter((o) => o.kind === 'HTTPRoute')).toEqual([]);
  });

  test('the dashboard and Jaeger UI routes are off by default and follow their own hosts and paths when on', () => {
    const on = render([
      ...GATEWAY_API,
      ...valuesFile({
        httpRoute: {
          ...ROUTE_VALUES.httpRoute,
          path: '/',
          filters: [],
          matches: [],
          dashboard: { enabled: true },
          jaeger: { enabled: true, hostnames: ['traces.example.com'] },
        },
        dashboard: { basePath: '/queues' },
      }),
    ]);
    const dashboard = find(on, 'HTTPRoute', 'rel-pca-agent-dashboard') as any;
    expect(dashboard.spec).toEqual({
      parentRefs: ROUTE_VALUES.httpRoute.parentRefs,
      hostnames: ['pca.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/queues' } }], backendRefs: [{ name: 'rel-pca-agent-dashboard', port: 5555 }] }],
    });
    const jaeger = find(on, 'HTTPRoute', 'rel-pca-agent-jaeger') as any;
    expect(jaeger.spec).toEqual({
      parentRefs: ROUTE_VALUES.httpRoute.parentRefs,
      hostnames: ['traces.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'rel-pca-agent-jaeger', port: 16686 }] }],
    });
    const defaults = render([...GATEWAY_API, ...valuesFile(ROUTE_VALUES)]);
    expect(find(defaults, 'HTTPRoute', 'rel-pca-agent-dashboard')).toBeUndefined();
    expect(find(defaults, 'HTTPRoute', 'rel-pca-agent-jaeger')).toBeUndefined();
  });

  test('the Gateway scenario routes the API, dashboard and Jaeger UI; the Ingress scenario still renders its Ingress', () => {
    const gateway = render([...scenarios().find((s) => s.name === 'gateway-netpol-monitor-values.yaml')!.args, ...WITH_OPTIONAL_APIS]);
    expect(gateway.filter((o) => o.kind === 'HTTPRoute').map((o) => o.metadata.name).sort()).toEqual(['rel-pca-agent-api', 'rel-pca-agent-dashboard', 'rel-pca-agent-jaeger']);
    expect(gateway.filter((o) => o.kind === 'Ingress')).toEqual([]);
    const ingress = render([...scenarios().find((s) => s.name === 'ingress-tls-values.yaml')!.args, ...WITH_OPTIONAL_APIS]);
    expect(ingress.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name)).toEqual(['rel-pca-agent-api']);
    expect(ingress.filter((o) => o.kind === 'HTTPRoute')).toEqual([]);
  });

  test('ingress.enabled and httpRoute.enabled on the same host fail with a message naming both keys', () => {
    const both = ['--set', 'ingress.enabled=true', '--set', 'ingress.host=pca.example.com', '--set', 'httpRoute.enabled=true', '--set', 'httpRoute.parentRefs[0].name=public'];
    for (const api of [[], GATEWAY_API]) {
      expect(rejects([...api, ...both, '--set', 'httpRoute.hostnames[0]=pca.example.com'])).toMatch(
        /ingress\.enabled and httpRoute\.enabled would both expose the host pca\.example\.com \(ingress\.host; httpRoute\.hostnames has pca\.example\.com\)/,
      );
    }
    expect(rejects([...both, '--set', 'httpRoute.hostnames[0]=*.example.com'])).toMatch(/ingress\.enabled and httpRoute\.enabled .*httpRoute\.hostnames has \*\.example\.com/);
    expect(rejects(both)).toMatch(/ingress\.enabled and httpRoute\.enabled would both expose the host pca\.example\.com: httpRoute\.hostnames is empty/);
    expect(rejects([...both, '--set', 'httpRoute.hostnames[0]=api.example.com', '--set', 'httpRoute.jaeger.enabled=true', '--set', 'httpRoute.jaeger.hostnames[0]=pca.example.com'])).toMatch(
      /httpRoute\.jaeger\.hostnames has pca\.example\.com/,
    );
    // Different hosts (a migration from the Ingress to the Gateway) are fine.
    const migrating = render([...GATEWAY_API, ...both, '--set', 'httpRoute.hostnames[0]=new.example.com']);
    expect(migrating.filter((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute').map((o) => o.kind).sort()).toEqual(['HTTPRoute', 'Ingress']);
  });

  test('other combinations that cannot work fail with the key to set', () => {
    const on = ['--set', 'httpRoute.enabled=true'];
    expect(rejects(on)).toMatch(/httpRoute\.enabled needs httpRoute\.parentRefs/);
    const attached = [...on, '--set', 'httpRoute.parentRefs[0].name=public'];
    expect(rejects([...attached, '--set', 'httpRoute.dashboard.enabled=true'])).toMatch(/dashboard\.basePath \(e\.g\. \/queues\) or httpRoute\.dashboard\.hostnames/);
    expect(rejects([...attached, '--set', 'httpRoute.dashboard.enabled=true', '--set', 'dashboard.enabled=false'])).toMatch(/httpRoute\.dashboard\.enabled needs dashboard\.enabled/);
    expect(rejects([...attached, '--set', 'httpRoute.jaeger.enabled=true'])).toMatch(/httpRoute\.jaeger\.enabled needs httpRoute\.jaeger\.hostnames/);
    expect(rejects([...attached, '--set', 'httpRoute.parentRefs[0].sectionNmae=https'])).toMatch(/sectionNmae/);
    expect(rejects([...attached, '--set', 'httpRoute.hostnames[0]=Not_A_Host'])).toMatch(/hostnames/);
    expect(rejects([...attached, '--set', 'httpRoute.path=pca'])).toMatch(/path/);
    // Own hostnames for the dashboard lift the path clash.
    const own = render([...GATEWAY_API, ...attached, '--set', 'httpRoute.dashboard.enabled=true', '--set', 'httpRoute.dashboard.hostnames[0]=queues.example.com']);
    expect((find(own, 'HTTPRoute', 'rel-pca-agent-dashboard') as any).spec.hostnames).toEqual(['queues.example.com']);
  });

  test('NOTES show the URL through the Gateway and say TLS is on its listener; without the API they say no route was made', () => {
    const values = [...valuesFile({ httpRoute: { ...ROUTE_VALUES.httpRoute, filters: [], matches: [], path: '/' } })];
    const notes = renderNotes([...GATEWAY_API, ...values]);
    expect(notes).toContain('or via the Gateway gateway-system/public (listener https):');
    expect(notes).toContain('curl http://pca.example.com/api/v1/...');
    expect(notes).toContain("TLS is configured on the Gateway's listener, not by this chart");
    expect(notes).not.toContain('HTTPRoute (Gateway API)');
    const bare = renderNotes(values);
    expect(bare).toContain('this cluster does not serve gateway.networking.k8s.io/v1 HTTPRoute: no route');
    expect(bare).toContain('- HTTPRoute (Gateway API)');
  });
});
