{{/* Chart name, or nameOverride. */}}
{{- define "pca-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-pca-agent, or the release name when it already contains the chart name.
Truncated to 32 characters so that "<fullname>-cleanup-old-reports" stays within the 52-character CronJob limit.
*/}}
{{- define "pca-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 32 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 32 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 32 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version for the helm.sh/chart label. */}}
{{- define "pca-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: never change across upgrades. */}}
{{- define "pca-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pca-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Standard labels on every object (the component label is added per object). */}}
{{- define "pca-agent.labels" -}}
helm.sh/chart: {{ include "pca-agent.chart" . }}
{{ include "pca-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pca-agent
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* toYaml of a map or list, or nothing when it is empty (for splicing into a map). */}}
{{- define "pca-agent.toYamlIfAny" -}}
{{- if . }}{{ toYaml . }}{{ end }}
{{- end }}

{{/* Application image: image.tag defaults to the chart's appVersion. */}}
{{- define "pca-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Base64 value of a generated Secret key: the given value, else the value already stored in the live Secret
(lookup, so helm upgrade keeps generated credentials), else a new random one.
Arguments: dict "context" $ "name" <secret name> "key" <data key> "value" <given value> "length" <n>.
*/}}
{{- define "pca-agent.secretValue" -}}
{{- $live := lookup "v1" "Secret" .context.Release.Namespace .name | default dict }}
{{- $data := get $live "data" | default dict }}
{{- if .value }}
{{- .value | toString | b64enc }}
{{- else if hasKey $data .key }}
{{- index $data .key }}
{{- else }}
{{- randAlphaNum (int .length) | b64enc }}
{{- end }}
{{- end }}

{{/* Combinations values.schema.json cannot express fail here with the offending values. */}}
{{- define "pca-agent.validate" -}}
{{- $w := .Values.worker.autoscaling }}
{{- if gt (int $w.minReplicaCount) (int $w.maxReplicaCount) }}
{{- fail (printf "worker.autoscaling.minReplicaCount (%d) must not exceed worker.autoscaling.maxReplicaCount (%d)" (int $w.minReplicaCount) (int $w.maxReplicaCount)) }}
{{- end }}
{{- $a := .Values.api.autoscaling }}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) }}
{{- fail (printf "api.autoscaling.minReplicas (%d) must not exceed api.autoscaling.maxReplicas (%d)" (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- end }}
{{- if and (not .Values.redis.enabled) (not .Values.externalRedis.url) (not .Values.externalRedis.existingSecret) }}
{{- fail "redis.enabled is false: set externalRedis.url or externalRedis.existingSecret" }}
{{- end }}
{{- if and .Values.redis.enabled (or .Values.externalRedis.url .Values.externalRedis.existingSecret) }}
{{- fail "externalRedis is set but redis.enabled is true: set redis.enabled=false to use the external Redis" }}
{{- end }}
{{- if and .Values.otelCollector.enabled (not .Values.jaeger.enabled) (not .Values.otelCollector.exporter.endpoint) }}
{{- fail "jaeger.enabled is false: set otelCollector.exporter.endpoint (OTLP gRPC host:port) or disable otelCollector" }}
{{- end }}
{{- end }}

{{/* Proxies in front of the API whose X-Forwarded-For is trusted: trustProxyHops, or for "auto" 1 behind the chart's Ingress or HTTPRoute, else 0. */}}
{{- define "pca-agent.trustProxyHops" -}}
{{- if eq (toString .Values.trustProxyHops) "auto" }}
{{- if or .Values.ingress.enabled (and .Values.httpRoute.enabled (.Capabilities.APIVersions.Has "gateway.networking.k8s.io/v1/HTTPRoute")) }}1{{ else }}0{{ end }}
{{- else }}
{{- int .Values.trustProxyHops }}
{{- end }}
{{- end }}
