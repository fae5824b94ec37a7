import { include, splice, when } from './helm/template';
import type { HelmMetadata } from './helm/helm-object';
import type { TemplatedMap } from './helm/templated';
import { BlockRef, type LeafRef } from './helm/values-definition';

export type Component = 'app' | 'api' | 'worker' | 'dashboard' | 'redis' | 'otel-collector' | 'jaeger' | 'cronjob' | 'test';

/** `<fullname>-<suffix>` as a template string (names always derive from the release). */
export function resourceName(suffix: string): string {
  return `${include('pca-agent.fullname')}-${suffix}`;
}

/** The same name as a template expression, for use inside function calls. */
export function resourceNameExpr(suffix: string): string {
  return `(printf "%s-${suffix}" (include "pca-agent.fullname" .))`;
}

/** A user-supplied name (e.g. existingSecret) or else `<fullname>-<suffix>`. */
export function nameOr(ref: LeafRef, suffix: string): string {
  return `{{ default ${resourceNameExpr(suffix)} ${ref.expr} }}`;
}

/** Standard labels plus the component (and any extra labels such as the task name). */
export function labels(component: Component, extra: Record<string, string> = {}): TemplatedMap {
  return { ...splice('include "pca-agent.labels" .'), 'app.kubernetes.io/component': component, ...extra };
}

/** Selector labels: name + instance + component, never changed across upgrades. */
export function selectorLabels(component: Component, extra: Record<string, string> = {}): TemplatedMap {
  return { ...splice('include "pca-agent.selectorLabels" .'), 'app.kubernetes.io/component': component, ...extra };
}

/** Label keys the chart owns on every object; a user's podLabels cannot replace them. */
export const STANDARD_LABEL_KEYS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/part-of',
  'helm.sh/chart',
] as const;

/**
 * Object metadata: name, standard labels, commonAnnotations plus the object's own annotations
 * (a values block such as `ingress.annotations`, or fixed keys).
 */
export function metadata(
  name: string,
  component: Component,
  extra: { annotations?: BlockRef | TemplatedMap; labels?: Record<string, string> } = {},
): HelmMetadata {
  const own = extra.annotations;
  const annotations: HelmMetadata['annotations'] =
    own instanceof BlockRef
      ? { ...splice(`include "pca-agent.toYamlIfAny" (merge (dict) ${own.expr} (.Values.commonAnnotations | default dict))`) }
      : own
        ? { ...splice('include "pca-agent.commonAnnotations" .'), ...own }
        : when('.Values.commonAnnotations', { ...splice('include "pca-agent.commonAnnotations" .') });
  return { name, labels: labels(component, extra.labels), annotations };
}

/** `(list "%20" " ") (list "%21" "!") …` for printable ASCII, both hex cases, `%25` left for last. */
const PERCENT_PAIRS = Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i)
  .filter((c) => c !== 0x25)
  .flatMap((c) => {
    const hex = c.toString(16).toUpperCase();
    const ch = JSON.stringify(String.fromCharCode(c)); // a Go string literal too, for printable ASCII
    return [...new Set([hex, hex.toLowerCase()])].map((h) => `(list "%${h}" ${ch})`);
  })
  .join(' ');

/** cdk8s requires an object name; the Helm template name is a template string, so hand it over as-is. */
export const helpersTpl = (chartName: string) => `{{/* Chart name, or nameOverride. */}}
{{- define "pca-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-${chartName}, or the release name when it already contains the chart name.
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

{{/*
An image reference registry/repository:tag[@digest]; global.imageRegistry overrides the image's registry.
Arguments: dict "image" <an image group of values> "context" $ ["defaultTag" <tag when image.tag is empty>].
*/}}
{{- define "pca-agent.imageRef" -}}
{{- $global := .context.Values.global | default dict }}
{{- $registry := default .image.registry $global.imageRegistry }}
{{- $name := ternary .image.repository (printf "%s/%s" $registry .image.repository) (empty $registry) }}
{{- $tag := default .defaultTag .image.tag | toString }}
{{- if .image.digest }}
{{- ternary (printf "%s@%s" $name .image.digest) (printf "%s:%s@%s" $name $tag .image.digest) (empty $tag) }}
{{- else }}
{{- printf "%s:%s" $name $tag }}
{{- end }}
{{- end }}

{{/* Application image: image.tag defaults to the chart's appVersion. */}}
{{- define "pca-agent.image" -}}
{{- include "pca-agent.imageRef" (dict "image" .Values.image "context" . "defaultTag" .Chart.AppVersion) }}
{{- end }}

{{/* imagePullSecrets of every pod: global.imagePullSecrets (names or {name}) then imagePullSecrets, without repeats. */}}
{{- define "pca-agent.imagePullSecrets" -}}
{{- $names := list }}
{{- $global := .Values.global | default dict }}
{{- range (concat ($global.imagePullSecrets | default list) .Values.imagePullSecrets) }}
{{- if kindIs "string" . }}{{ $names = append $names . }}{{ else }}{{ $names = append $names .name }}{{ end }}
{{- end }}
{{- range ($names | uniq) }}
- name: {{ . }}
{{- end }}
{{- end }}

{{/* ServiceAccount of the app pods. */}}
{{- define "pca-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pca-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* commonAnnotations, for splicing into an object's annotations. */}}
{{- define "pca-agent.commonAnnotations" -}}
{{- with .Values.commonAnnotations }}{{ toYaml . }}{{ end }}
{{- end }}

{{/*
Pod annotations: the chart's (checksums, scrape hints) merged with the component's podAnnotations, each key
once; the user's value wins except for checksum/* (they must roll the pods when config changes).
Arguments: dict "chart" <annotations the chart sets> "user" <podAnnotations>.
*/}}
{{- define "pca-agent.podAnnotations" -}}
{{- $out := deepCopy .chart }}
{{- range $k, $v := (.user | default dict) }}
{{- if not (hasPrefix "checksum/" $k) }}{{ $_ := set $out $k $v }}{{ end }}
{{- end }}
{{- with $out }}{{ toYaml . }}{{ end }}
{{- end }}

{{/*
Percent-decoding of a URL part (user name, password) for the ASCII range; anything else fails, naming the
value's key, so the app and KEDA never get a still-encoded secret.
*/}}
{{- define "pca-agent.urlDecode" -}}
{{- $s := .value }}
{{- range $pair := list ${PERCENT_PAIRS} }}
{{- $s = replace (index $pair 0) (index $pair 1) $s }}
{{- end }}
{{- if contains "%" (replace "%25" "" $s) }}
{{- fail (printf "%s: only ASCII percent-escapes are understood in the URL's credentials; put them in externalRedis.existingSecret instead" .what) }}
{{- end }}
{{- replace "%25" "%" $s }}
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

{{/*
externalRedis.url parsed once, completely, as JSON: address (host:port, port 6379 by default), db (the path's
index), tls (rediss://), scheme, and the decoded username and password. Every consumer includes this.
*/}}
{{- define "pca-agent.externalRedis.parts" -}}
{{- $u := urlParse .Values.externalRedis.url }}
{{- $address := $u.host }}
{{- if not $address }}{{ fail (printf "externalRedis.url %q has no host" .Values.externalRedis.url) }}{{ end }}
{{- if not (regexMatch ":[0-9]+$" $address) }}{{ $address = printf "%s:6379" $address }}{{ end }}
{{- $db := trimPrefix "/" $u.path | default "0" }}
{{- if not (regexMatch "^[0-9]+$" $db) }}{{ fail (printf "externalRedis.url: the path must be a database index such as /0, not %q" $u.path) }}{{ end }}
{{- $user := "" }}
{{- $pass := "" }}
{{- if $u.userinfo }}
{{- $parts := splitn ":" 2 $u.userinfo }}
{{- $user = include "pca-agent.urlDecode" (dict "value" $parts._0 "what" "externalRedis.url user name") }}
{{- $pass = include "pca-agent.urlDecode" (dict "value" (default "" $parts._1) "what" "externalRedis.url password") }}
{{- end }}
{{- dict "address" $address "db" $db "tls" (eq $u.scheme "rediss") "scheme" $u.scheme "username" $user "password" $pass | toJson }}
{{- end }}

{{/* Database index KEDA reads: from externalRedis.url, else externalRedis.database (existingSecret). */}}
{{- define "pca-agent.externalRedis.db" -}}
{{- if .Values.externalRedis.url }}{{ (include "pca-agent.externalRedis.parts" . | fromJson).db }}{{ else }}{{ .Values.externalRedis.database }}{{ end }}
{{- end }}

{{/* "true" when KEDA must use TLS: a CA (caFile, caSecret) turns it on as it does for the app; else rediss:// in externalRedis.url, else externalRedis.tls (existingSecret). */}}
{{- define "pca-agent.externalRedis.tls" -}}
{{- if or .Values.externalRedis.caFile .Values.externalRedis.caSecret.name }}true{{ else if .Values.externalRedis.url }}{{ (include "pca-agent.externalRedis.parts" . | fromJson).tls }}{{ else }}{{ .Values.externalRedis.tls }}{{ end }}
{{- end }}

{{/* Topology of the Redis the app and KEDA use: single (embedded or one external Redis), sentinel or cluster. */}}
{{- define "pca-agent.redisMode" -}}
{{- if .Values.redis.enabled }}single{{ else if .Values.externalRedis.sentinel.enabled }}sentinel{{ else if .Values.externalRedis.cluster.enabled }}cluster{{ else }}single{{ end }}
{{- end }}

{{/* KEDA's scaler type for that topology: its redis, redis-sentinel or redis-cluster lists trigger. */}}
{{- define "pca-agent.kedaRedisType" -}}
{{- get (dict "single" "redis" "sentinel" "redis-sentinel" "cluster" "redis-cluster") (include "pca-agent.redisMode" .) }}
{{- end }}

{{/* A memory quantity (512Mi, 1Gi, 1G, 268435456) in whole MiB, for the checks below. */}}
{{- define "pca-agent.mebibytes" -}}
{{- $q := toString . }}
{{- $num := regexFind "^[0-9]+([.][0-9]+)?" $q }}
{{- $unit := trimPrefix $num $q }}
{{- $per := dict "" 0.00000095367431640625 "k" 0.0009765625 "Ki" 0.0009765625 "M" 0.95367431640625 "Mi" 1.0 "G" 953.67431640625 "Gi" 1024.0 "T" 976562.5 "Ti" 1048576.0 "m" 0.0 }}
{{- mulf (float64 $num) (get $per $unit) | floor | int }}
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
{{- if and (not .Values.redis.enabled) .Values.externalRedis.url }}
{{- $_ := include "pca-agent.externalRedis.parts" . }}
{{- end }}
{{- if and .Values.externalRedis.url .Values.externalRedis.existingSecret }}
{{- fail "set externalRedis.url or externalRedis.existingSecret, not both" }}
{{- end }}
{{- with .Values.externalRedis }}
{{- if and .caSecret.name .caFile }}
{{- fail (printf "externalRedis.caSecret.name (%s) and externalRedis.caFile (%s) are both set: caSecret mounts the CA itself and sets the file; set one" .caSecret.name .caFile) }}
{{- end }}
{{- if and .caSecret.name $.Values.redis.enabled }}
{{- fail "externalRedis.caSecret.name is set but redis.enabled is true: the embedded Redis speaks no TLS; set redis.enabled=false to use an external one" }}
{{- end }}
{{- if and .sentinel.username (not .sentinel.enabled) }}
{{- fail (printf "externalRedis.sentinel.username is set (%s) but externalRedis.sentinel.enabled is false" .sentinel.username) }}
{{- end }}
{{- if and .sentinel.enabled .cluster.enabled }}
{{- fail "externalRedis.sentinel.enabled and externalRedis.cluster.enabled are both true: a Redis is either Sentinel-managed or a Cluster" }}
{{- end }}
{{- if and (or .sentinel.enabled .cluster.enabled) $.Values.redis.enabled }}
{{- fail "externalRedis.sentinel/cluster is enabled but redis.enabled is true: set redis.enabled=false and externalRedis.url or externalRedis.existingSecret (credentials, database, TLS)" }}
{{- end }}
{{- if and .sentinel.enabled (not .sentinel.hosts) }}
{{- fail "externalRedis.sentinel.enabled: set externalRedis.sentinel.hosts (host:port of every sentinel)" }}
{{- end }}
{{- if and .sentinel.hosts (not .sentinel.enabled) }}
{{- fail (printf "externalRedis.sentinel.hosts is set (%s) but externalRedis.sentinel.enabled is false" (join "," .sentinel.hosts)) }}
{{- end }}
{{- if and .cluster.enabled (not .cluster.nodes) }}
{{- fail "externalRedis.cluster.enabled: set externalRedis.cluster.nodes (host:port of one or more cluster nodes)" }}
{{- end }}
{{- if and .cluster.nodes (not .cluster.enabled) }}
{{- fail (printf "externalRedis.cluster.nodes is set (%s) but externalRedis.cluster.enabled is false" (join "," .cluster.nodes)) }}
{{- end }}
{{- if and .cluster.enabled (not (regexMatch "[{][^{}]+[}]" $.Values.redisKeyPrefix)) }}
{{- fail (printf "externalRedis.cluster.enabled: redisKeyPrefix %q has no hash tag; every key must hash to one slot, e.g. redisKeyPrefix: {%s} (a new prefix starts from empty data: see the README on moving an install)" $.Values.redisKeyPrefix $.Values.redisKeyPrefix) }}
{{- end }}
{{- if and .cluster.enabled (ne (include "pca-agent.externalRedis.db" $) "0") }}
{{- fail (printf "externalRedis.cluster.enabled: Redis Cluster has only database 0, not %s" (include "pca-agent.externalRedis.db" $)) }}
{{- end }}
{{- end }}
{{- with .Values.redis }}
{{- if and .enabled .resources.limits .resources.limits.memory }}
{{- $max := regexFind "^[0-9]+" .maxmemory | int }}
{{- $maxMiB := ternary (div $max 1024) (ternary (mul $max 1024) $max (hasSuffix "gb" .maxmemory)) (hasSuffix "kb" .maxmemory) }}
{{- $limitMiB := include "pca-agent.mebibytes" .resources.limits.memory | int }}
{{- if gt (mul $maxMiB 4) (mul $limitMiB 3) }}
{{- fail (printf "redis.maxmemory (%s = %d MiB) must be at most 75%% of redis.resources.limits.memory (%s = %d MiB): Redis forks for AOF rewrites and needs the headroom" .maxmemory $maxMiB (toString .resources.limits.memory) $limitMiB) }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.otelCollector }}
{{- if and .enabled .resources.limits .resources.limits.memory }}
{{- $limitMiB := include "pca-agent.mebibytes" .resources.limits.memory | int }}
{{- if ge (int .memoryLimitMiB) $limitMiB }}
{{- fail (printf "otelCollector.memoryLimitMiB (%d) must be below otelCollector.resources.limits.memory (%s = %d MiB), or the container is OOM-killed before the memory_limiter acts" (int .memoryLimitMiB) (toString .resources.limits.memory) $limitMiB) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (eq .Values.artifacts.backend "s3") (not .Values.artifacts.s3.bucket) }}
{{- fail "artifacts.backend is s3: set artifacts.s3.bucket" }}
{{- end }}
{{- if and (eq .Values.artifacts.downloadMode "redirect") (ne .Values.artifacts.backend "s3") }}
{{- fail (printf "artifacts.downloadMode redirect needs artifacts.backend s3 (it is %s)" .Values.artifacts.backend) }}
{{- end }}
{{- if and .Values.otelCollector.enabled (not .Values.jaeger.enabled) (not .Values.otelCollector.exporter.endpoint) }}
{{- fail "jaeger.enabled is false: set otelCollector.exporter.endpoint (OTLP gRPC host:port) or disable otelCollector" }}
{{- end }}
{{- end }}
`;
