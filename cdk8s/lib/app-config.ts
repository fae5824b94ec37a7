import { Construct } from 'constructs';
import { envDefault, type Config } from '../../services/src/config/env';
import { ENV as ENV_KEY, isEnvNode, type EnvName as AppEnvName, type EnvNode } from './env-values';
import { BLOB_MOUNT_PATH } from './blob-storage';
import { HelmObject } from './helm/helm-object';
import type { k8s } from 'cdk8s-plus-27';
import { when } from './helm/template';
import type { TemplatedItem, TemplatedMap } from './helm/templated';
import type { GroupNode, ValueNode } from './helm/values-definition';
import { metadata, nameOr, resourceName, resourceNameExpr } from './names';
import { TRUST_PROXY_HOPS_VALUE } from './trust-proxy-hops';
import { valuesDefinition, type ValueRefs } from './values';

/** Ports the app image listens on: the env schema's defaults (the chart also sets them explicitly). */
export const APP_PORTS = {
  api: envDefault('PORT'),
  worker: envDefault('WORKER_HTTP_PORT'),
  dashboard: envDefault('DASHBOARD_PORT'),
} as const;

/** Environment variable names the chart may set: the app's own schema plus the standard OTEL_* ones. */
export type EnvName = keyof Config | `OTEL_${string}`;

export interface AppConfigProps {
  readonly values: ValueRefs;
  /** OTLP/HTTP endpoint of the Collector (by reference), used when the Collector is enabled. */
  readonly otlpEndpoint: string;
}

/**
 * Non-secret settings of every app role (one ConfigMap, names from the env schema) and the API auth
 * Secret (generated once, kept across upgrades with lookup, or the user's existingSecret).
 */
export class AppConfig extends Construct {
  static readonly TEMPLATE = 'app-config.yaml';
  readonly configMapName = resourceName('config');
  readonly authSecretName: string;
  /** Pod checksum annotations (key → template) that roll app pods when the ConfigMap changes. */
  readonly checksums = { 'checksum/config': AppConfig.TEMPLATE };
  /** …and when the generated API credentials change (pods that read the auth Secret). */
  readonly authChecksums = { 'checksum/auth-secret': 'auth-secret.yaml' };

  constructor(scope: Construct, id: string, props: AppConfigProps) {
    super(scope, id);
    const v = props.values;
    const oc = v.otelCollector.exporter;
    this.authSecretName = nameOr(v.auth.existingSecret, 'auth');
    const data: { readonly [K in EnvName]?: TemplatedMap[string] } = {
      NODE_ENV: 'production',
      PORT: String(APP_PORTS.api),
      WORKER_HTTP_PORT: String(APP_PORTS.worker),
      DASHBOARD_PORT: String(APP_PORTS.dashboard),
      TRUST_PROXY_HOPS: TRUST_PROXY_HOPS_VALUE,
      SCHEDULER_ENABLED: 'false',
      BLOB_FS_DIR: BLOB_MOUNT_PATH,
      ...envValuesData(),
      // Through the chart's Collector (OTLP/HTTP protobuf); with it disabled, straight to
      // otelCollector.exporter.endpoint (OTLP gRPC, as values.yaml describes it); with neither, off.
      OTEL_EXPORTER_OTLP_ENDPOINT: when(
        `or ${v.otelCollector.enabled.expr} ${oc.endpoint.expr}`,
        `{{ if ${v.otelCollector.enabled.expr} }}${props.otlpEndpoint}{{ else }}{{ ternary "http" "https" ${oc.insecure.expr} }}://{{ ${oc.endpoint.expr} }}{{ end }}`,
      ),
      OTEL_EXPORTER_OTLP_PROTOCOL: `{{ if ${v.otelCollector.enabled.expr} }}http/protobuf{{ else }}grpc{{ end }}`,
      OTEL_SDK_DISABLED: when(`and (not ${v.otelCollector.enabled.expr}) (not ${oc.endpoint.expr})`, 'true'),
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      OTEL_TRACES_SAMPLER: v.tracing.sampler.str,
      OTEL_TRACES_SAMPLER_ARG: v.tracing.sampleRatio.str,
    };
    new HelmObject(this, 'configmap', {
      kind: 'ConfigMap',
      metadata: metadata(this.configMapName, 'api'),
      data,
      template: AppConfig.TEMPLATE,
      // Cross-field checks values.schema.json cannot express; this template is always rendered.
      preamble: '{{- include "pca-agent.validate" . }}',
    });
    new HelmObject(this, 'auth', {
      kind: 'Secret',
      metadata: metadata(resourceName('auth'), 'api'),
      type: 'Opaque',
      data: {
        API_KEYS: generatedSecretValue('auth', 'API_KEYS', `(join "," ${v.auth.apiKeys.expr})`, 40),
        API_KEYS_READ_ONLY: `{{ join "," ${v.auth.readOnlyApiKeys.expr} | b64enc | quote }}`,
        JWT_SECRET: generatedSecretValue('auth', 'JWT_SECRET', '""', 48),
      },
      template: 'auth-secret.yaml',
      condition: `not ${v.auth.existingSecret.expr}`,
    });
  }

  /** env entries of the API credentials. */
  authEnv(): TemplatedItem<k8s.EnvVar>[] {
    return [
      { name: 'API_KEYS', valueFrom: { secretKeyRef: { name: this.authSecretName, key: 'API_KEYS' } } },
      { name: 'API_KEYS_READ_ONLY', valueFrom: { secretKeyRef: { name: this.authSecretName, key: 'API_KEYS_READ_ONLY', optional: true } } },
      { name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: this.authSecretName, key: 'JWT_SECRET', optional: true } } },
    ];
  }

  envFrom(): TemplatedItem<k8s.EnvFromSource>[] {
    return [{ configMapRef: { name: this.configMapName } }];
  }
}

/** base64 value of a Secret key: given value, else kept from the live Secret (lookup), else random. */
export function generatedSecretValue(secretSuffix: string, key: string, givenExpr: string, length: number): string {
  return `{{ include "pca-agent.secretValue" (dict "context" . "name" ${resourceNameExpr(secretSuffix)} "key" "${key}" "value" ${givenExpr} "length" ${length}) }}`;
}

/** Every `fromEnv` leaf of the values definition with its path (`['api', 'bodyLimitBytes']`). */
export function envValueNodes(root: GroupNode = valuesDefinition): { name: AppEnvName; path: string[]; node: EnvNode }[] {
  const out: { name: AppEnvName; path: string[]; node: EnvNode }[] = [];
  const walk = (node: ValueNode, path: string[]) => {
    if (isEnvNode(node)) out.push({ name: node[ENV_KEY], path, node });
    else if (node.kind === 'group') for (const [k, child] of Object.entries(node.props)) walk(child, [...path, k]);
  };
  walk(root, []);
  return out;
}

/**
 * ConfigMap entries of the variables values can set, generated from the env schema: an optional variable
 * left empty (or null) is not rendered, so the app's own default or "unset" applies.
 */
function envValuesData(): TemplatedMap {
  const data: { [name: string]: TemplatedMap[string] } = {};
  for (const { name, path, node } of envValueNodes()) {
    const expr = `.Values.${path.join('.')}`;
    if (node.kind === 'block') {
      data[name] = `{{ join "," ${expr} | quote }}`;
      continue;
    }
    // Helm holds YAML numbers as float64 and prints big ones as 1.048576e+06: integers go through int64.
    const printed = node.type === 'integer' ? `int64 ${expr}` : expr;
    if (node.default === null) data[name] = when(`not (kindIs "invalid" ${expr})`, `{{ ${printed} | quote }}`);
    else if (node.type === 'string' && node.default === '') data[name] = when(expr, `{{ ${printed} | quote }}`);
    else data[name] = `{{ ${printed} | quote }}`;
  }
  return data;
}
