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
  /** Condition under which the chart's HTTPRoutes render. */
  readonly httpRouteOn: string;
  /** Condition under which the ServiceMonitors (and so the alerts and dashboards) render. */
  readonly serviceMonitorOn: string;
}

/** NOTES.txt: how to reach what was installed, where the credentials are, and what is off. */
export function notesTxt(p: NotesProps): string {
  const ns = '{{ .Release.Namespace }}';
  const r = '.Values.httpRoute';
  // First host of a route, or a placeholder when the route takes every host of the listener.
  const host = (hostnames: string) => `{{ ${hostnames} | default (list "<gateway address>") | first }}`;
  return `pca-agent {{ .Chart.AppVersion }} is installed as release "{{ .Release.Name }}" in namespace "${ns}".

API (docs at /api/docs):
  kubectl -n ${ns} port-forward svc/${p.api.serviceName} ${APP_PORTS.api}:{{ .Values.api.service.port }}
  open http://127.0.0.1:${APP_PORTS.api}/api/docs
{{- if .Values.ingress.enabled }}
  or via the Ingress: http{{ if .Values.ingress.tls.enabled }}s{{ end }}://{{ .Values.ingress.host }}{{ .Values.ingress.path }}
{{- end }}
{{- if ${p.httpRouteOn} }}
  or via the Gateway{{ range $i, $ref := ${r}.parentRefs }}{{ if $i }},{{ end }} {{ default $.Release.Namespace $ref.namespace }}/{{ $ref.name }}{{ with $ref.sectionName }} (listener {{ . }}){{ end }}{{ end }}:
    curl http://${host(`${r}.hostnames`)}{{ trimSuffix "/" ${r}.path }}/api/v1/...
  TLS is configured on the Gateway's listener, not by this chart: use https:// when that listener terminates TLS.
{{- else if ${r}.enabled }}
  httpRoute.enabled is set, but this cluster does not serve gateway.networking.k8s.io/v1 HTTPRoute: no route
  was created. Install the Gateway API CRDs and an implementation, then run helm upgrade.
{{- end }}

API key (header X-API-Key):
  kubectl -n ${ns} get secret ${p.authSecretName} -o jsonpath='{.data.API_KEYS}' | base64 -d; echo
{{- if ${p.dashboard.enabled} }}

Queue dashboard:
  kubectl -n ${ns} port-forward svc/${p.dashboard.serviceName} ${APP_PORTS.dashboard}:${APP_PORTS.dashboard}
  open http://127.0.0.1:${APP_PORTS.dashboard}{{ .Values.dashboard.basePath }}
{{- if and ${p.httpRouteOn} ${r}.dashboard.enabled }}
  or via the Gateway: http://${host(`(default ${r}.hostnames ${r}.dashboard.hostnames)`)}{{ .Values.dashboard.basePath }}
{{- end }}
  user:     kubectl -n ${ns} get secret ${p.dashboard.secretName} -o jsonpath='{.data.DASHBOARD_USERNAME}' | base64 -d; echo
  password: kubectl -n ${ns} get secret ${p.dashboard.secretName} -o jsonpath='{.data.DASHBOARD_PASSWORD}' | base64 -d; echo
{{- end }}
{{- if ${p.jaeger.enabled} }}

Traces (Jaeger UI):
  kubectl -n ${ns} port-forward svc/${p.jaeger.name} ${JAEGER_UI_PORT}:${JAEGER_UI_PORT}
  open http://127.0.0.1:${JAEGER_UI_PORT}
{{- if and ${p.httpRouteOn} ${r}.jaeger.enabled }}
  or via the Gateway: http://${host(`${r}.jaeger.hostnames`)}/
{{- end }}
{{- end }}

Check the release: helm test {{ .Release.Name }} -n ${ns}

Report files, uploads and backups (artifacts.backend={{ .Values.artifacts.backend }}):
{{- if eq .Values.artifacts.backend "filesystem" }}
  PVC {{ default (printf "%s-blobs" (include "pca-agent.fullname" .)) .Values.artifacts.filesystem.existingClaim }} ({{ .Values.artifacts.filesystem.accessMode }}), mounted by the API, workers and CronJobs.
{{- if ne .Values.artifacts.filesystem.accessMode "ReadWriteMany" }}
  {{ .Values.artifacts.filesystem.accessMode }} works while every app pod runs on one node (kind, one-node clusters). With several
  nodes use artifacts.filesystem.accessMode=ReadWriteMany (a storage class that supports it) or S3:
{{- else }}
  To move to an object store instead:
{{- end }}
    helm upgrade {{ .Release.Name }} <chart> -n ${ns} --reuse-values --set artifacts.backend=s3 \
      --set artifacts.s3.bucket=<bucket> [--set artifacts.s3.endpoint=https://minio.example:9000 --set artifacts.s3.pathStyle=true] \
      [--set artifacts.s3.existingSecret=<Secret with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY>; without it IRSA / Workload Identity]
  (files already on the PVC are not copied; reports are regenerated on demand, uploads expire after uploads.ttlSeconds).
{{- else }}
  bucket {{ .Values.artifacts.s3.bucket }}{{ with .Values.artifacts.s3.prefix }} under {{ . }}/{{ end }}{{ with .Values.artifacts.s3.endpoint }} at {{ . }}{{ end }}; credentials: {{ if .Values.artifacts.s3.existingSecret }}Secret {{ .Values.artifacts.s3.existingSecret }}{{ else }}the SDK's default chain (IRSA / Workload Identity / node role){{ end }}.
{{- end }}

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
{{- if not ${p.httpRouteOn} }}
  - HTTPRoute (Gateway API)
{{- end }}
{{- if not .Values.networkPolicy.enabled }}
  - NetworkPolicies
{{- end }}
{{- if not ${p.serviceMonitorOn} }}
  - ServiceMonitors, alerts and dashboards: {{ if .Values.serviceMonitor.enabled }}monitoring.coreos.com/v1 is not served{{ else }}serviceMonitor.enabled is false, and the PrometheusRule and dashboards select its job labels{{ end }} (pods carry prometheus.io scrape annotations instead)
{{- end }}
`;
}
