import { Construct } from 'constructs';
import { APP_PORTS } from './app-config';
import { HelmObject } from './helm/helm-object';
import { block, when } from './helm/template';
import type { HTTPRouteSpec, Templated, TemplatedObject } from './helm/templated';
import type { BlockRef } from './helm/values-definition';
import { JAEGER_UI_PORT } from './jaeger';
import { metadata, type Component } from './names';
import type { ValueRefs } from './values';

/** The cluster serves Gateway API HTTPRoutes (checked at install time, like the ServiceMonitor CRD). */
export const GATEWAY_API_AVAILABLE = '(.Capabilities.APIVersions.Has "gateway.networking.k8s.io/v1/HTTPRoute")';

/** The API's HTTPRoute is rendered: enabled and the API is served. */
export function httpRouteOn(v: ValueRefs): string {
  return `(and ${v.httpRoute.enabled.expr} ${GATEWAY_API_AVAILABLE})`;
}

export interface HttpRoutesProps {
  readonly values: ValueRefs;
  readonly api: { readonly serviceName: string; readonly servicePort: string };
  readonly dashboard: { readonly serviceName: string; readonly enabled: string };
  readonly jaeger: { readonly name: string; readonly enabled: string };
}

/**
 * Gateway API HTTPRoutes next to the Ingress: the API under `httpRoute.path`, optionally the dashboard
 * under `dashboard.basePath` and the Jaeger UI on its own hosts. TLS belongs to the Gateway's listener,
 * so the routes carry none; they attach to `httpRoute.parentRefs`.
 */
export class HttpRoutes extends Construct {
  static readonly TEMPLATE = 'http-route.yaml';

  constructor(scope: Construct, id: string, props: HttpRoutesProps) {
    super(scope, id);
    const v = props.values;
    const r = v.httpRoute;
    const on = httpRouteOn(v);
    type Rule = TemplatedObject<NonNullable<HTTPRouteSpec['rules']>[number]>;
    const route = (routeId: string, name: string, component: Component, hostnames: Templated<HTTPRouteSpec['hostnames']>, rule: Rule, condition: string, preamble?: string) =>
      new HelmObject(this, routeId, {
        kind: 'HTTPRoute',
        metadata: metadata(name, component, { annotations: r.annotations }),
        spec: { parentRefs: r.parentRefs.toYaml, hostnames, rules: [rule] },
        template: HttpRoutes.TEMPLATE,
        condition,
        ...(preamble ? { preamble } : {}),
      });
    const pathPrefix = (value: string) => ({ path: { type: 'PathPrefix', value } });
    const listed = (ref: BlockRef) => when(ref.expr, ref.toYaml);

    route(
      'api',
      props.api.serviceName,
      'api',
      listed(r.hostnames),
      {
        // The path prefix first, then any extra matches from values (a rule is selected by any one of them).
        matches: block(`toYaml (prepend ${r.matches.expr} (dict "path" (dict "type" "PathPrefix" "value" ${r.path.expr})))`),
        filters: listed(r.filters),
        backendRefs: [{ name: props.api.serviceName, port: props.api.servicePort }],
      },
      on,
      routeChecks(v),
    );
    route(
      'dashboard',
      props.dashboard.serviceName,
      'dashboard',
      when(`or ${r.dashboard.hostnames.expr} ${r.hostnames.expr}`, block(`toYaml (default ${r.hostnames.expr} ${r.dashboard.hostnames.expr})`)),
      { matches: [pathPrefix(v.dashboard.basePath.value)], backendRefs: [{ name: props.dashboard.serviceName, port: APP_PORTS.dashboard }] },
      `and ${on} ${r.dashboard.enabled.expr} ${props.dashboard.enabled}`,
    );
    route(
      'jaeger',
      props.jaeger.name,
      'jaeger',
      r.jaeger.hostnames.toYaml,
      { matches: [pathPrefix('/')], backendRefs: [{ name: props.jaeger.name, port: JAEGER_UI_PORT }] },
      `and ${on} ${r.jaeger.enabled.expr} ${props.jaeger.enabled}`,
    );
  }
}

/**
 * Combinations the values schema cannot express, checked whenever httpRoute.enabled (whether or not
 * the cluster serves the Gateway API, so `helm template` reports them too).
 */
function routeChecks(v: ValueRefs): string {
  const r = v.httpRoute;
  const wildcardCovers = '(and (hasPrefix "*." .) (hasSuffix (trimPrefix "*" .) $host))';
  return `{{- if ${r.enabled.expr} }}
{{- if not ${r.parentRefs.expr} }}
{{- fail "httpRoute.enabled needs httpRoute.parentRefs, the Gateway the routes attach to: e.g. --set httpRoute.parentRefs[0].name=<gateway> --set httpRoute.parentRefs[0].namespace=<its namespace>" }}
{{- end }}
{{- if ${v.ingress.enabled.expr} }}
{{- $host := ${v.ingress.host.expr} }}
{{- if not ${r.hostnames.expr} }}
{{- fail (printf "ingress.enabled and httpRoute.enabled would both expose the host %s: httpRoute.hostnames is empty, so the HTTPRoute takes every host of its Gateway listener. Keep one way in (ingress.enabled=false or httpRoute.enabled=false) or set httpRoute.hostnames to other hosts than ingress.host" $host) }}
{{- end }}
{{- $routes := list (list "httpRoute.hostnames" ${r.hostnames.expr}) }}
{{- if ${r.dashboard.enabled.expr} }}{{ $routes = append $routes (list "httpRoute.dashboard.hostnames" ${r.dashboard.hostnames.expr}) }}{{ end }}
{{- if ${r.jaeger.enabled.expr} }}{{ $routes = append $routes (list "httpRoute.jaeger.hostnames" ${r.jaeger.hostnames.expr}) }}{{ end }}
{{- range $routes }}
{{- $key := index . 0 }}
{{- range index . 1 }}
{{- if or (eq . $host) ${wildcardCovers} }}
{{- fail (printf "ingress.enabled and httpRoute.enabled would both expose the host %s (ingress.host; %s has %s). Keep one way in (ingress.enabled=false or httpRoute.enabled=false) or route different hosts" $host $key .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if ${r.dashboard.enabled.expr} }}
{{- if not ${v.dashboard.enabled.expr} }}
{{- fail "httpRoute.dashboard.enabled needs dashboard.enabled" }}
{{- end }}
{{- if and (not ${r.dashboard.hostnames.expr}) (eq (trimSuffix "/" ${v.dashboard.basePath.expr}) (trimSuffix "/" ${r.path.expr})) }}
{{- fail (printf "httpRoute.dashboard.enabled: the dashboard (dashboard.basePath %s) and the API (httpRoute.path %s) would share hosts and path: set dashboard.basePath (e.g. /queues) or httpRoute.dashboard.hostnames" ${v.dashboard.basePath.expr} ${r.path.expr}) }}
{{- end }}
{{- end }}
{{- if ${r.jaeger.enabled.expr} }}
{{- if not ${v.jaeger.enabled.expr} }}
{{- fail "httpRoute.jaeger.enabled needs jaeger.enabled" }}
{{- end }}
{{- if not ${r.jaeger.hostnames.expr} }}
{{- fail "httpRoute.jaeger.enabled needs httpRoute.jaeger.hostnames: the Jaeger UI is served at / of its own host" }}
{{- end }}
{{- end }}
{{- end }}`;
}
