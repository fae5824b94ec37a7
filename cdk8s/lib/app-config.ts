import { Construct } from 'constructs';
import { envDefault, type Config } from '../../services/src/config/env';
import { HelmObject } from './helm/helm-object';
import { when, type Json } from './helm/template';
import { metadata, nameOr, resourceName, resourceNameExpr } from './names';
import { TRUST_PROXY_HOPS_VALUE } from './trust-proxy-hops';
import type { ValueRefs } from './values';

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
  /** Pod annotation that rolls the pods when the ConfigMap changes. */
  readonly checksumAnnotation = {
    'checksum/config': `{{ include (print $.Template.BasePath "/${AppConfig.TEMPLATE}") . | sha256sum }}`,
  };

  constructor(scope: Construct, id: string, props: AppConfigProps) {
    super(scope, id);
    const v = props.values;
    this.authSecretName = nameOr(v.auth.existingSecret, 'auth');
    const data: { [K in EnvName]?: Json } = {
      NODE_ENV: 'production',
      LOG_LEVEL: v.logLevel.str,
      REDIS_KEY_PREFIX: v.redisKeyPrefix.str,
      PORT: String(APP_PORTS.api),
      WORKER_HTTP_PORT: String(APP_PORTS.worker),
      DASHBOARD_PORT: String(APP_PORTS.dashboard),
      DASHBOARD_BASE_PATH: v.dashboard.basePath.str,
      DASHBOARD_READ_ONLY: v.dashboard.readOnly.str,
      RATE_LIMIT_PER_MINUTE: v.rateLimit.perMinute.str,
      TRUST_PROXY_HOPS: TRUST_PROXY_HOPS_VALUE,
      SHUTDOWN_DELAY_MS: v.api.shutdownDelayMs.str,
      SHUTDOWN_TIMEOUT_MS: v.api.shutdownTimeoutMs.str,
      WORKER_CONCURRENCY: v.worker.concurrency.str,
      WORKER_SHUTDOWN_TIMEOUT_MS: v.worker.shutdownTimeoutMs.str,
      SCHEDULER_ENABLED: 'false',
      JWT_ISSUER: when(v.auth.jwtIssuer.expr, v.auth.jwtIssuer.str),
      JWT_AUDIENCE: when(v.auth.jwtAudience.expr, v.auth.jwtAudience.str),
      OTEL_EXPORTER_OTLP_ENDPOINT: when(v.otelCollector.enabled.expr, props.otlpEndpoint),
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SDK_DISABLED: when(`not ${v.otelCollector.enabled.expr}`, 'true'),
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
    };
    new HelmObject(this, 'configmap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: metadata(this.configMapName, 'api'),
      data,
      template: AppConfig.TEMPLATE,
      // Cross-field checks values.schema.json cannot express; this template is always rendered.
      preamble: '{{- include "pca-agent.validate" . }}',
    });
    new HelmObject(this, 'auth', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: metadata(resourceName('auth'), 'api'),
      type: 'Opaque',
      data: {
        API_KEYS: generatedSecretValue('auth', 'API_KEYS', `(join "," ${v.auth.apiKeys.expr})`, 40),
        JWT_SECRET: generatedSecretValue('auth', 'JWT_SECRET', '""', 48),
      },
      template: 'auth-secret.yaml',
      condition: `not ${v.auth.existingSecret.expr}`,
    });
  }

  /** env entries of the API credentials. */
  authEnv(): Json[] {
    return [
      { name: 'API_KEYS', valueFrom: { secretKeyRef: { name: this.authSecretName, key: 'API_KEYS' } } },
      { name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: this.authSecretName, key: 'JWT_SECRET', optional: true } } },
    ];
  }

  envFrom(): Json[] {
    return [{ configMapRef: { name: this.configMapName } }];
  }
}

/** base64 value of a Secret key: given value, else kept from the live Secret (lookup), else random. */
export function generatedSecretValue(secretSuffix: string, key: string, givenExpr: string, length: number): string {
  return `{{ include "pca-agent.secretValue" (dict "context" . "name" ${resourceNameExpr(secretSuffix)} "key" "${key}" "value" ${givenExpr} "length" ${length}) }}`;
}
