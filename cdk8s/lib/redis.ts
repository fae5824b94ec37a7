import { Construct } from 'constructs';
import { generatedSecretValue } from './app-config';
import { HelmObject } from './helm/helm-object';
import { when, type Json } from './helm/template';
import { metadata, nameOr, resourceName, selectorLabels } from './names';
import { ComponentServiceAccount, componentService, podMetadata, secureContainer, securePodSpec } from './pod-spec';
import type { ValueRefs } from './values';

/** UID/GID of the official redis image's `redis` user. */
export const REDIS_UID = 999;
export const REDIS_PORT = 6379;

export interface RedisProps {
  readonly values: ValueRefs;
}

/**
 * The Redis every role uses: an embedded StatefulSet (AOF on a PVC, noeviction, password from a
 * Secret) or, with `redis.enabled=false`, an external Redis given by URL or existing Secret.
 */
export class Redis extends Construct {
  readonly serviceName = resourceName('redis');
  /** Condition under which the embedded Redis is deployed. */
  readonly embedded: string;
  /** Secret holding `redis-password` of the embedded Redis. */
  readonly embeddedSecretName: string;
  /** Secret holding `redis-url`, `redis-address` and `redis-password` of the external Redis. */
  readonly externalSecretName: string;
  /** host:port KEDA's operator (in its own namespace) connects to, for the embedded Redis. */
  readonly kedaAddress = `${resourceName('redis')}.{{ .Release.Namespace }}.svc:${REDIS_PORT}`;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const v = props.values;
    this.embedded = v.redis.enabled.expr;
    this.embeddedSecretName = nameOr(v.redis.existingSecret, 'redis');
    this.externalSecretName = nameOr(v.externalRedis.existingSecret, 'external-redis');
    const tpl = 'redis.yaml';

    new HelmObject(this, 'secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: metadata(resourceName('redis'), 'redis'),
      type: 'Opaque',
      data: { 'redis-password': generatedSecretValue('redis', 'redis-password', v.redis.password.expr, 32) },
      template: 'redis-secret.yaml',
      condition: `and ${this.embedded} (not ${v.redis.existingSecret.expr})`,
    });
    const url = `(${v.externalRedis.url.expr} | urlParse)`;
    new HelmObject(this, 'external-secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: metadata(resourceName('external-redis'), 'redis'),
      type: 'Opaque',
      data: {
        'redis-url': `{{ ${v.externalRedis.url.expr} | b64enc }}`,
        'redis-address': `{{ get ${url} "host" | b64enc }}`,
        'redis-password': `{{ get ${url} "userinfo" | splitList ":" | last | b64enc }}`,
      },
      template: 'redis-secret.yaml',
      condition: `and (not ${this.embedded}) (not ${v.externalRedis.existingSecret.expr})`,
    });

    const sa = new ComponentServiceAccount(this, 'sa', { component: 'redis', suffix: 'redis', template: tpl, condition: this.embedded });
    componentService(this, 'service', {
      name: this.serviceName,
      component: 'redis',
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis' }],
      template: tpl,
      condition: this.embedded,
    });
    const password = { secretKeyRef: { name: this.embeddedSecretName, key: 'redis-password' } };
    const ping = (period: number, failures: number) => ({
      exec: { command: ['redis-cli', '-p', String(REDIS_PORT), 'ping'] },
      periodSeconds: period,
      timeoutSeconds: 3,
      failureThreshold: failures,
    });
    const persistent = v.redis.persistence.enabled.expr;
    new HelmObject(this, 'statefulset', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: metadata(this.serviceName, 'redis'),
      spec: {
        serviceName: this.serviceName,
        replicas: 1,
        selector: { matchLabels: selectorLabels('redis') },
        template: {
          metadata: podMetadata('redis', v.redis.podAnnotations),
          spec: securePodSpec({
            serviceAccountName: sa.name,
            runAsUser: REDIS_UID,
            scheduling: v.redis,
            imagePullSecrets: v.imagePullSecrets,
            terminationGracePeriodSeconds: 30,
            containers: [
              secureContainer({
                name: 'redis',
                image: `${v.redis.image.repository.text}:${v.redis.image.tag.text}`,
                imagePullPolicy: v.image.pullPolicy.text,
                runAsUser: REDIS_UID,
                command: ['redis-server'],
                args: [
                  '--port', String(REDIS_PORT),
                  '--dir', '/data',
                  '--appendonly', 'yes',
                  '--appendfsync', 'everysec',
                  '--maxmemory', v.redis.maxmemory.text,
                  '--maxmemory-policy', 'noeviction',
                  '--requirepass', '$(REDIS_PASSWORD)',
                ],
                env: [
                  { name: 'REDIS_PASSWORD', valueFrom: password },
                  // redis-cli reads the password from REDISCLI_AUTH, so the probes need no shell.
                  { name: 'REDISCLI_AUTH', valueFrom: password },
                ],
                ports: [{ name: 'redis', containerPort: REDIS_PORT }],
                resources: v.redis.resources,
                probes: { startupProbe: ping(2, 60), readinessProbe: ping(5, 3), livenessProbe: ping(10, 3) },
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              }),
            ],
            volumes: [when(`not ${persistent}`, { name: 'data', emptyDir: {} })],
          }),
        },
        volumeClaimTemplates: when(persistent, [
          {
            metadata: { name: 'data', labels: selectorLabels('redis') },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: when(v.redis.persistence.storageClass.expr, v.redis.persistence.storageClass.text),
              resources: { requests: { storage: v.redis.persistence.size.text } },
            },
          },
        ]),
      },
      template: tpl,
      condition: this.embedded,
    });
  }

  /** env entries giving a container REDIS_URL (and the password it embeds, for the embedded Redis). */
  connectionEnv(): Json[] {
    return [
      when(this.embedded, { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: this.embeddedSecretName, key: 'redis-password' } } }),
      when(
        this.embedded,
        // Kubernetes expands $(REDIS_PASSWORD) from the entry above; the generated password is URL-safe.
        { name: 'REDIS_URL', value: `redis://:$(REDIS_PASSWORD)@${this.serviceName}:${REDIS_PORT}/0` },
        { name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: this.externalSecretName, key: 'redis-url' } } },
      ),
    ];
  }
}
