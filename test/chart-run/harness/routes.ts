import type { Network } from './network';
import type { Release } from './release';
import { WiringError } from './wiring-error';

/** One way in that a rendered HTTPRoute or Ingress describes: the path a client sends and where it lands. */
export interface RouteCheck {
  readonly where: string;
  readonly clientPath: string;
  readonly backendPath: string;
  readonly status: number;
}

interface Rewrite {
  readonly type: string;
  readonly urlRewrite?: { readonly path?: { readonly type?: string; readonly replacePrefixMatch?: string; readonly replaceFullPath?: string } };
}

/** The path a Gateway forwards for `path` matched by PathPrefix `prefix`, after a URLRewrite filter (Gateway API semantics). */
export function rewritePath(path: string, prefix: string, filters: readonly Rewrite[] = []): string {
  const rewrite = filters.find((f) => f.type === 'URLRewrite')?.urlRewrite?.path;
  if (!rewrite) return path;
  if (rewrite.type === 'ReplaceFullPath') return rewrite.replaceFullPath ?? '/';
  if (rewrite.type !== 'ReplacePrefixMatch') throw new WiringError(`URLRewrite path type ${String(rewrite.type)} is not modelled`);
  const rest = path.slice(prefix.replace(/\/$/, '').length);
  const joined = `${(rewrite.replacePrefixMatch ?? '/').replace(/\/$/, '')}${rest.startsWith('/') ? rest : `/${rest}`}`;
  return joined.replace(/\/{2,}/g, '/');
}

const API_PATH = '/api/v1/campaigns?limit=1';

/**
 * Sends an authenticated request through every rendered HTTPRoute and Ingress that leads to the API, the
 * way a Gateway or an Ingress controller would forward it (match on the path prefix, apply the route's
 * URLRewrite, append X-Forwarded-For, connect to the backend Service port), and expects the API to answer
 * 200. A prefix without the rewrite the app needs, or a backend port the Service does not have, fails.
 */
export async function checkRoutesToApi(release: Release, net: Network, apiService: string, apiKey: string): Promise<RouteCheck[]> {
  const ways: { where: string; prefix: string; filters?: Rewrite[]; backend: { name: string; port: number | string } }[] = [];
  for (const route of release.ofKind('HTTPRoute')) {
    for (const [i, rule] of (route.spec.rules as any[]).entries()) {
      const backend = (rule.backendRefs as { name: string; port: number }[] | undefined)?.[0];
      if (!backend || backend.name !== apiService) continue;
      const prefix = (rule.matches as any[] | undefined)?.find((m) => m.path?.type === 'PathPrefix')?.path?.value ?? '/';
      ways.push({ where: `HTTPRoute/${route.metadata.name} rule ${i}`, prefix, filters: rule.filters, backend });
    }
  }
  for (const ingress of release.ofKind('Ingress')) {
    for (const rule of ingress.spec.rules as any[]) {
      for (const p of rule.http.paths as any[]) {
        const svc = p.backend.service as { name: string; port: { name?: string; number?: number } };
        if (svc.name !== apiService) continue;
        ways.push({ where: `Ingress/${ingress.metadata.name} ${String(p.path)}`, prefix: p.path, backend: { name: svc.name, port: svc.port.number ?? svc.port.name! } });
      }
    }
  }
  const results: RouteCheck[] = [];
  for (const way of ways) {
    const clientPath = `${way.prefix.replace(/\/$/, '')}${API_PATH}`;
    const backendPath = rewritePath(clientPath, way.prefix, way.filters);
    const target = net.route(way.backend.name, way.backend.port, way.where);
    const res = await fetch(`http://127.0.0.1:${target.hostPort}${backendPath}`, {
      headers: { 'x-api-key': apiKey, 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    if (res.status !== 200) {
      throw new WiringError(`${way.where}: GET ${clientPath} reaches the API as ${backendPath}, which answers ${res.status} (a path prefix needs a URLRewrite the app can serve)`);
    }
    results.push({ where: way.where, clientPath, backendPath, status: res.status });
  }
  return results;
}
