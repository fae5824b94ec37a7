import { APP_PORTS } from './app-config';
import { JAEGER_UI_PORT } from './jaeger';

export interface NotesProps {
  readonly api: { serviceName: string };
  readonly dashboard: { serviceName: string; secretName: string; enabled: string };
  readonly jaeger: { name: string; enabled: string };
  readonly authSecretName: string;
  readonly redisEnabled: string;
  readonly kedaOn: string;
  readonly hpaOn: string;
}

/** NOTES.txt: how to reach what was installed, where the credentials are, and what is off. */
export function notesTxt(p: NotesProps): string {
  const ns = '{{ .Release.Namespace }}';
  return `pca-agent {{ .Chart.AppVersion }} is installed as release "{{ .Release.Name }}" in namespace "${ns}".

API (docs at /api/docs):
  kubectl -n ${ns} port-forward svc/${p.api.serviceName} ${APP_PORTS.api}:{{ .Values.api.service.port }}
  open http://127.0.0.1:${APP_PORTS.api}/api/docs
{{- if .Values.ingress.enabled }}
  or via the Ingress: http{{ if .Values.ingress.tls.enabled }}s{{ end }}://{{ .Values.ingress.host }}{{ .Values.ingress.path }}
{{- end }}

API key (header X-API-Key):
  kubectl -n ${ns} get secret ${p.authSecretName} -o jsonpath='{.data.API_KEYS}' | base64 -d; echo
{{- if ${p.dashboard.enabled} }}

Queue dashboard:
  kubectl -n ${ns} port-forward svc/${p.dashboard.serviceName} ${APP_PORTS.dashboard}:${APP_PORTS.dashboard}
  open http://127.0.0.1:${APP_PORTS.dashboard}{{ .Values.dashboard.basePath }}
  user:     kubectl -n ${ns} get secret ${p.dashboard.secretName} -o jsonpath='{.data.DASHBOARD_USERNAME}' | base64 -d; echo
  password: kubectl -n ${ns} get secret ${p.dashboard.secretName} -o jsonpath='{.data.DASHBOARD_PASSWORD}' | base64 -d; echo
{{- end }}
{{- if ${p.jaeger.enabled} }}

Traces (Jaeger UI):
  kubectl -n ${ns} port-forward svc/${p.jaeger.name} ${JAEGER_UI_PORT}:${JAEGER_UI_PORT}
  open http://127.0.0.1:${JAEGER_UI_PORT}
{{- end }}

Check the release: helm test {{ .Release.Name }} -n ${ns}

Worker scaling: {{ if ${p.kedaOn} }}KEDA ScaledObject on the queue lengths{{ else if ${p.hpaOn} }}CPU HorizontalPodAutoscaler (KEDA is not installed in this cluster){{ else }}fixed at {{ .Values.worker.replicaCount }} replicas{{ end }}.

Disabled in this release:
{{- if not ${p.redisEnabled} }}
  - embedded Redis (using externalRedis)
{{- end }}
{{- if not ${p.dashboard.enabled} }}
  - queue dashboard
{{- end }}
{{- if not .Values.otelCollector.enabled }}
  - OpenTelemetry Collector (tracing is off)
{{- end }}
{{- if not ${p.jaeger.enabled} }}
  - Jaeger (the Collector exports to {{ .Values.otelCollector.exporter.endpoint }})
{{- end }}
{{- if not .Values.ingress.enabled }}
  - Ingress
{{- end }}
{{- if not .Values.networkPolicy.enabled }}
  - NetworkPolicies
{{- end }}
{{- if not .Values.serviceMonitor.enabled }}
  - ServiceMonitor (pods carry prometheus.io scrape annotations instead)
{{- end }}
`;
}
