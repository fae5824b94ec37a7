import { CHART_DIR, find, helm, render } from './helm';

const GATEWAY_API = ['--api-versions', 'gateway.networking.k8s.io/v1/HTTPRoute'];
const ROUTE = ['--set', 'httpRoute.enabled=true', '--set', 'httpRoute.parentRefs[0].name=public'];

function hops(args: string[]): string {
  return (find(render(args), 'ConfigMap', 'rel-pca-agent-config') as any).data.TRUST_PROXY_HOPS;
}

describe('trustProxyHops: client IPs behind the Ingress or the Gateway', () => {
  test('"auto" by default: 0 with no proxy, 1 behind the chart\'s Ingress or HTTPRoute', () => {
    expect(hops([])).toBe('0');
    expect(hops(['--set', 'ingress.enabled=true'])).toBe('1');
    expect(hops([...GATEWAY_API, ...ROUTE])).toBe('1');
    // httpRoute.enabled on a cluster without the Gateway API renders no route: clients come in directly.
    expect(hops(ROUTE)).toBe('0');
  });

  test('an explicit number wins, 0 included (a documented choice, e.g. a proxy that does not append X-Forwarded-For)', () => {
    expect(hops(['--set', 'trustProxyHops=2'])).toBe('2');
    expect(hops(['--set', 'ingress.enabled=true', '--set', 'trustProxyHops=2'])).toBe('2');
    expect(hops(['--set', 'ingress.enabled=true', '--set', 'trustProxyHops=0'])).toBe('0');
    expect(hops([...GATEWAY_API, ...ROUTE, '--set', 'trustProxyHops=3'])).toBe('3');
  });

  test('the schema takes "auto" or 0..10 only', () => {
    for (const bad of ['trustProxyHops=11', 'trustProxyHops=-1', 'trustProxyHops=many']) {
      const r = helm(['template', 'rel', CHART_DIR, '--set', bad]);
      expect({ bad, status: r.status }).toEqual({ bad, status: 1 });
      expect(r.stderr).toMatch(/trustProxyHops/);
    }
    expect(hops(['--set', 'trustProxyHops=auto', '--set', 'ingress.enabled=true'])).toBe('1');
  });
});
