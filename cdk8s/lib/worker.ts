import { Construct } from 'constructs';
import { bullPrefix } from '../../services/src/lib/keys';
import { QUEUE_NAMES, activeListKey, waitListKey } from '../../services/src/queues/contract';
import { cpuMetric, scrapeHints, serviceMonitorOn } from './api';
import { APP_PORTS } from './app-config';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { when } from './helm/template';
import { metadata, resourceName, selectorLabels } from './names';
import { componentService, httpProbes, podMetadata, securePodSpec } from './pod-spec';

/** The cluster serves KEDA's ScaledObject (checked at install time, not assumed). */
export const KEDA_AVAILABLE = '(.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject")';

/**
 * BullMQ workers: a Deployment with probes on the worker HTTP port (9464), a metrics Service, and
 * queue-depth autoscaling — a KEDA ScaledObject with one Redis list trigger per queue (list names
 * from the queue contract) when KEDA is installed, else a CPU HPA; fixed replicas when disabled.
 */
export class Worker extends Construct {
  readonly name = resourceName('worker');
  /** Condition for the ScaledObject + TriggerAuthentication. */
  readonly kedaOn: string;
  /** Condition for the CPU HPA fallback. */
  readonly hpaOn: string;

  constructor(scope: Construct, id: string, ctx: AppContext) {
    super(scope, id);
    const v = ctx.values;
    const w = v.worker;
    const as = w.autoscaling;
    const redis = ctx.redis;
    const tpl = 'worker.yaml';
    this.kedaOn = `and ${as.enabled.expr} ${KEDA_AVAILABLE}`;
    this.hpaOn = `and ${as.enabled.expr} (not ${KEDA_AVAILABLE})`;

    componentService(this, 'service', {
      name: this.name,
      component: 'worker',
      ports: [{ name: 'http', port: APP_PORTS.worker, targetPort: 'http' }],
      template: tpl,
    });
    new HelmObject(this, 'deployment', {
      kind: 'Deployment',
      metadata: metadata(this.name, 'worker'),
      spec: {
        // An autoscaler owns the replica count; rendering it would reset the scale on every upgrade.
        replicas: when(`not ${as.enabled.expr}`, w.replicaCount.value),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels('worker') },
        template: {
          metadata: podMetadata('worker', w, {
            checksums: { ...ctx.config.checksums, ...ctx.redis.checksums },
            unless: { condition: serviceMonitorOn(v), annotations: scrapeHints(APP_PORTS.worker) },
          }),
          spec: securePodSpec({
            serviceAccountName: ctx.serviceAccount.name,
            automountServiceAccountToken: ctx.serviceAccount.automount,
            scheduling: w,
            spreadOverNodes: 'worker',
            extraVolumes: w.extraVolumes,
            volumes: ctx.blobs.volumes(),
            terminationGracePeriodSeconds: `{{ add (div ${w.shutdownTimeoutMs.expr} 1000) 10 }}`,
            containers: [
              appContainer(ctx, {
                name: 'worker',
                role: 'worker',
                args: ['worker'],
                resources: w.resources,
                ports: [{ name: 'http', containerPort: APP_PORTS.worker }],
                probes: httpProbes('http', '/health', '/ready'),
                extras: w,
                blobs: true,
              }),
            ],
          }),
        },
      },
      template: tpl,
    });

    const authName = resourceName('worker-redis');
    new HelmObject(this, 'trigger-auth', {
      kind: 'TriggerAuthentication',
      metadata: metadata(authName, 'worker'),
      spec: {
        // The names KEDA's redis scaler reads from a TriggerAuthentication; the values are the decoded ones.
        secretTargetRef: [
          when(
            redis.embedded,
            { parameter: 'password', name: redis.embeddedSecretName, key: 'redis-password' },
            { parameter: 'password', name: redis.externalSecretName, key: 'redis-password' },
          ),
          when(`not ${redis.embedded}`, { parameter: 'username', name: redis.externalSecretName, key: 'redis-username' }),
          when(`not ${redis.embedded}`, { parameter: 'address', name: redis.externalSecretName, key: 'redis-address' }),
        ],
      },
      template: tpl,
      condition: this.kedaOn,
    });
    new HelmObject(this, 'scaledobject', {
      kind: 'ScaledObject',
      metadata: metadata(this.name, 'worker'),
      spec: {
        scaleTargetRef: { name: this.name },
        minReplicaCount: as.minReplicaCount.value,
        maxReplicaCount: as.maxReplicaCount.value,
        pollingInterval: as.pollingInterval.value,
        cooldownPeriod: as.cooldownPeriod.value,
        // Per queue: waiting jobs drive the scale (listLength per replica); running jobs count per the
        // queue's concurrency, so KEDA never wants fewer pods than hold running jobs. List names are the
        // exact keys BullMQ uses: same functions as the code, prefix from values.
        triggers: QUEUE_NAMES.flatMap((queue) => [
          {
            name: `queue-${queue}`,
            listName: waitListKey(bullPrefix(v.redisKeyPrefix.text), queue),
            length: as.listLength.str,
            activation: as.activationListLength.str,
          },
          {
            name: `queue-${queue}-active`,
            listName: activeListKey(bullPrefix(v.redisKeyPrefix.text), queue),
            length: `{{ default ${w.concurrency.expr} ${w.queueConcurrency[queue].expr} | quote }}`,
            activation: '0',
          },
        ]).map((t) => ({
          type: 'redis',
          name: t.name,
          metadata: {
            address: when(redis.embedded, redis.kedaAddress),
            databaseIndex: when(`not ${redis.embedded}`, '{{ include "pca-agent.externalRedis.db" . | quote }}'),
            enableTLS: when(`not ${redis.embedded}`, '{{ include "pca-agent.externalRedis.tls" . | quote }}'),
            listName: t.listName,
            listLength: t.length,
            activationListLength: t.activation,
          },
          authenticationRef: { name: authName },
        })),
      },
      template: tpl,
      condition: this.kedaOn,
    });
    new HelmObject(this, 'hpa', {
      kind: 'HorizontalPodAutoscaler',
      metadata: metadata(this.name, 'worker'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name },
        minReplicas: `{{ max 1 ${as.minReplicaCount.expr} }}`,
        maxReplicas: as.maxReplicaCount.value,
        metrics: [cpuMetric(as.targetCPUUtilizationPercentage.value)],
      },
      template: tpl,
      condition: this.hpaOn,
    });
  }
}
