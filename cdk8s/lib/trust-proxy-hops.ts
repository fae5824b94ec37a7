import type { ValueRefs } from './values';

const HELPER = 'pca-agent.trustProxyHops';

/**
 * The `pca-agent.trustProxyHops` helper: trustProxyHops when it is a number, else ("auto") 1 when the
 * chart renders an Ingress or an HTTPRoute — each puts exactly one proxy (the controller, or the
 * Gateway's Envoy) in front of the API — and 0 when clients reach the Service directly. Without it,
 * every client behind the proxy would share the proxy's IP, and so one rate-limit bucket.
 */
export function trustProxyHopsHelper(v: ValueRefs, httpRouteOn: string): string {
  const hops = v.trustProxyHops.expr;
  return `
{{/* Proxies in front of the API whose X-Forwarded-For is trusted: trustProxyHops, or for "auto" 1 behind the chart's Ingress or HTTPRoute, else 0. */}}
{{- define "${HELPER}" -}}
{{- if eq (toString ${hops}) "auto" }}
{{- if or ${v.ingress.enabled.expr} ${httpRouteOn} }}1{{ else }}0{{ end }}
{{- else }}
{{- int ${hops} }}
{{- end }}
{{- end }}
`;
}

/** The effective number as a quoted string (a ConfigMap value). */
export const TRUST_PROXY_HOPS_VALUE = `{{ include "${HELPER}" . | quote }}`;
