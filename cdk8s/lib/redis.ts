import { Construct } from 'constructs';
import { generatedSecretValue } from './app-config';
import { HelmObject } from './helm/helm-object';
import type { k8s } from 'cdk8s-plus-27';
import { when } from './helm/template';
import type { TemplatedItem, TemplatedObject } from './helm/templated';
import { metadata, nameOr, resourceName, selectorLabels } from './names';
import { ComponentServiceAccount, componentService, imageOf, podMetadata, secureContainer, securePodSpec } from './pod-spec';
import type { ValueRefs } from './values';

/** UID/GID of the official redis image's `redis` user. */
export const REDIS_UID = 999;
export const REDIS_PORT = 6379;
/** Where every app container finds the CA of `externalRedis.caSecret` (REDIS_TLS_CA_FILE). */
export const REDIS_CA_FILE = '/etc/pca-agent/redis-ca/ca.crt';
const CA_VOLUME = 'redis-ca';

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
  /** Secret holding `redis-url`, `redis-address`, `redis-username` and `redis-password` of the external Redis. */
  readonly externalSecretName: string;
  /** Headless Service governing the StatefulSet (stable pod DNS names). */
  readonly headlessServiceName = resourceName('redis-headless');
  /** Pod checksum annotations (key → template) that roll pods when a Redis credential changes. */
  readonly checksums = { 'checksum/redis-secret': 'redis-secret.yaml' };
  /** Condition: the external Redis is Sentinel-managed (the app and KEDA ask the sentinels for the primary). */
  readonly sentinelOn = '(eq (include "pca-agent.redisMode" .) "sentinel")';
  /** Condition: the external Redis is a Redis Cluster. */
  readonly clusterOn = '(eq (include "pca-agent.redisMode" .) "cluster")';
  /** Condition: the sentinels ask for a password of their own, from externalRedis.sentinel.existingSecret. */
  readonly sentinelAuthOn: string;
  /** The Secret reference of the sentinels' password. */
  readonly sentinelPassword: { readonly name: string; readonly key: string };
  /** Condition: the Redis CA comes from externalRedis.caSecret (mounted into the app, handed to KEDA). */
  readonly caSecretOn: string;
  /** The Secret reference of that CA. */
  readonly caSecret: { readonly name: string; readonly key: string };
  private readonly values: ValueRefs;
  /** host:port KEDA's operator (in its own namespace) connects to, for the embedded Redis. */
  readonly kedaAddress = `${resourceName('redis')}.{{ .Release.Namespace }}.svc:${REDIS_PORT}`;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const v = props.values;
    this.values = v;
    this.embedded = v.redis.enabled.expr;
    const sentinel = v.externalRedis.sentinel;
    this.sentinelAuthOn = `and ${this.sentinelOn} ${sentinel.existingSecret.expr}`;
    this.sentinelPassword = { name: sentinel.existingSecret.str, key: sentinel.passwordKey.str };
    this.caSecretOn = `and (not ${v.redis.enabled.expr}) ${v.externalRedis.caSecret.name.expr}`;
    this.caSecret = { name: v.externalRedis.caSecret.name.str, key: v.externalRedis.caSecret.key.str };
    this.embeddedSecretName = nameOr(v.redis.existingSecret, 'redis');
    this.externalSecretName = nameOr(v.externalRedis.existingSecret, 'external-redis');
    const tpl = 'redis.yaml';

    new HelmObject(this, 'secret', {
      kind: 'Secret',
      metadata: metadata(resourceName('redis'), 'redis'),
      type: 'Opaque',
      data: { 'redis-password': generatedSecretValue('redis', 'redis-password', v.redis.password.expr, 32) },
      template: 'redis-secret.yaml',
      condition: `and ${this.embedded} (not ${v.redis.existingSecret.expr})`,
    });
    // Parsed once (pca-agent.externalRedis.parts): the app gets a URL without credentials plus the decoded
    // user and password, so no secret is ever percent-encoded or spliced into a URL.
    const part = (key: string) => `(include "pca-agent.externalRedis.parts" . | fromJson).${key}`;
    new HelmObject(this, 'external-secret', {
      kind: 'Secret',
      metadata: metadata(resourceName('external-redis'), 'redis'),
      type: 'Opaque',
      data: {
        'redis-url': `{{ printf "%s://%s/%s" ${part('scheme')} ${part('address')} ${part('db')} | b64enc }}`,
        'redis-address': `{{ ${part('address')} | b64enc }}`,
        'redis-username': `{{ ${part('username')} | b64enc | quote }}`,
        'redis-password': `{{ ${part('password')} | b64enc | quote }}`,
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
    componentService(this, 'headless', {
      name: this.headlessServiceName,
      component: 'redis',
      headless: true,
      publishNotReadyAddresses: true,
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis' }],
      template: tpl,
      condition: this.embedded,
    });
    const password = { secretKeyRef: { name: this.embeddedSecretName, key: 'redis-password' } };
    const ping = (period: number, failures: number) => ({
      // -e: exit non-zero on an error reply (NOAUTH, LOADING, MISCONF), which redis-cli otherwise prints and exits 0 on.
      exec: { command: ['redis-cli', '-e', '-p', String(REDIS_PORT), 'ping'] },
      periodSeconds: period,
      timeoutSeconds: 3,
      failureThreshold: failures,
    });
    const persistent = v.redis.persistence.enabled.expr;
    new HelmObject(this, 'statefulset', {
      kind: 'StatefulSet',
      metadata: metadata(this.serviceName, 'redis'),
      spec: {
        serviceName: this.headlessServiceName,
        replicas: 1,
        selector: { matchLabels: selectorLabels('redis') },
        template: {
          metadata: podMetadata('redis', v.redis, { checksums: this.checksums }),
          spec: securePodSpec({
            serviceAccountName: sa.name,
            runAsUser: REDIS_UID,
            scheduling: v.redis,
            terminationGracePeriodSeconds: 30,
            containers: [
              secureContainer({
                name: 'redis',
                image: imageOf(v.redis.image),
                imagePullPolicy: v.redis.image.pullPolicy.text,
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

  /**
   * env entries giving a container its Redis: REDIS_URL without credentials, REDIS_USERNAME/REDIS_PASSWORD
   * from the Secret as they are (any characters work; nothing is URL-encoded), in sentinel or cluster mode
   * the sentinels (with their user and password) or the cluster nodes, and the CA file of externalRedis.caSecret.
   */
  connectionEnv(): TemplatedItem<k8s.EnvVar>[] {
    const x = this.values.externalRedis;
    const fromExternal = (name: string, key: string, optional: boolean): TemplatedObject<k8s.EnvVar> => ({
      name,
      valueFrom: { secretKeyRef: { name: this.externalSecretName, key, ...(optional ? { optional: true } : {}) } },
    });
    return [
      when(
        this.embedded,
        { name: 'REDIS_URL', value: `redis://${this.serviceName}:${REDIS_PORT}/0` },
        fromExternal('REDIS_URL', 'redis-url', false),
      ),
      when(`not ${this.embedded}`, fromExternal('REDIS_USERNAME', 'redis-username', true)),
      when(
        this.embedded,
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: this.embeddedSecretName, key: 'redis-password' } } },
        fromExternal('REDIS_PASSWORD', 'redis-password', true),
      ),
      when(this.sentinelOn, { name: 'REDIS_SENTINELS', value: `{{ join "," ${x.sentinel.hosts.expr} | quote }}` }),
      when(this.sentinelOn, { name: 'REDIS_SENTINEL_NAME', value: x.sentinel.masterSet.str }),
      when(`and ${this.sentinelOn} ${x.sentinel.username.expr}`, { name: 'REDIS_SENTINEL_USERNAME', value: x.sentinel.username.str }),
      when(this.sentinelAuthOn, { name: 'REDIS_SENTINEL_PASSWORD', valueFrom: { secretKeyRef: this.sentinelPassword } }),
      when(this.clusterOn, { name: 'REDIS_CLUSTER_NODES', value: `{{ join "," ${x.cluster.nodes.expr} | quote }}` }),
      when(this.caSecretOn, { name: 'REDIS_TLS_CA_FILE', value: REDIS_CA_FILE }),
    ];
  }

  /** The pod volume of externalRedis.caSecret (only its CA key, whatever else the Secret holds). */
  caVolumes(): TemplatedItem<k8s.Volume>[] {
    return [when(this.caSecretOn, { name: CA_VOLUME, secret: { secretName: this.caSecret.name, items: [{ key: this.caSecret.key, path: 'ca.crt' }] } })];
  }

  /** The container mount of that CA, at REDIS_CA_FILE. */
  caVolumeMounts(): TemplatedItem<k8s.VolumeMount>[] {
    return [when(this.caSecretOn, { name: CA_VOLUME, mountPath: REDIS_CA_FILE.replace(/\/[^/]+$/, ''), readOnly: true })];
  }
}
