import { Construct } from 'constructs';
import { bullPrefix } from '../../services/src/lib/keys';
import { PENDING_WORK_PATH, QUEUE_NAMES, activeListKey, waitListKey, type QueueName } from '../../services/src/queues/contract';
import { cpuMetric, scrapeHints, serviceMonitorOn } from './api';
import { APP_PORTS } from './app-config';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { when } from './helm/template';
import { metadata, resourceName, selectorLabels } from './names';
import { componentService, httpProbes, podMetadata, securePodSpec } from './pod-spec';

/** The cluster serves KEDA's ScaledObject (checked at install time, not assumed). */
export const KEDA_AVAILABLE = '(.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject")';

type WorkerValues = AppContext['values']['worker'];

export interface WorkerProps {
  /** The API's in-cluster base URL (`http://<service>.<namespace>.svc:<port>`): KEDA reads the pending counts there. */
  readonly apiUrl: string;
}

/**
 * A queue's share of the pod budget as a Helm expression, the rule of `concurrencyPlan` in
 * services/src/workers/worker-options.ts: uploads and maintenance their own limit, reports what the
 * budget leaves after the other consumed queues (worker.queues; empty means all) unless set.
 */
export function queueLimit(w: WorkerValues, queue: QueueName): string {
  if (queue !== 'reports') return w.queueConcurrency[queue].expr;
  const consumed = (q: QueueName) => `(or (empty ${w.queues.expr}) (has "${q}" ${w.queues.expr}))`;
  const others = `(add (ternary ${w.queueConcurrency.uploads.expr} 0 ${consumed('uploads')}) (ternary ${w.queueConcurrency.maintenance.expr} 0 ${consumed('maintenance')}))`;
  return `default (max 1 (sub ${w.concurrency.expr} ${others})) ${w.queueConcurrency.reports.expr}`;
}

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

  constructor(scope: Construct, id: string, ctx: AppContext, props: WorkerProps) {
    super(scope, id);
    const v = ctx.values;
    const w = v.worker;
    const as = w.autoscaling;
    const redis = ctx.redis;
    const tpl = 'worker.yaml';
    const ext = v.externalRedis;
    const listNameOf = (key: (prefix: string, queue: QueueName) => string, queue: QueueName) =>
      `{{ printf ${JSON.stringify(key(bullPrefix('%s'), queue))} ${v.redisKeyPrefix.expr} | quote }}`;
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
            volumes: [...ctx.blobs.volumes(), ...ctx.redis.caVolumes()],
            terminationGracePeriodSeconds: `{{ add (div ${w.shutdownTimeoutMs.expr} 1000) 10 }}`,
            containers: [
              appContainer(ctx, {
                name: 'worker',
                role: 'worker',
                args: ['worker'],
                resources: w.resources,
                env: [when(w.nodeOptions.expr, { name: 'NODE_OPTIONS', value: w.nodeOptions.str })],
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
          when(`and (not ${redis.embedded}) (not ${redis.sentinelOn}) (not ${redis.clusterOn})`, { parameter: 'address', name: redis.externalSecretName, key: 'redis-address' }),
          when(redis.sentinelAuthOn, { parameter: 'sentinelPassword', ...redis.sentinelPassword }),
          // A private CA: KEDA trusts it as the app does. TLS itself stays on in the trigger's enableTLS (KEDA
          // refuses `tls` here together with enableTLS: "true" there).
          when(redis.caSecretOn, { parameter: 'ca', ...redis.caSecret }),
        ],
      },
      template: tpl,
      condition: this.kedaOn,
    });
    // Prioritized and due delayed jobs live in sorted sets a list trigger cannot read: the API counts
    // them (GET /scaling/pending/<queue>) and KEDA's metrics-api scaler reads that, so either wakes a
    // worker at zero. Additive: the redis triggers are unchanged.
    const pendingTriggers = QUEUE_NAMES.map((queue) => ({
      type: 'metrics-api',
      name: `queue-${queue}-pending`,
      metadata: {
        url: `${props.apiUrl}${PENDING_WORK_PATH}${queue}`,
        format: 'json',
        valueLocation: 'value',
        targetValue: as.listLength.str,
        activationTargetValue: as.activationListLength.str,
      },
    }));
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
        // queue's share of the pod budget, so KEDA never wants fewer pods than hold running jobs. List names are the
        // exact keys BullMQ uses: same functions as the code, prefix from values (quoted: a hash-tagged
        // prefix such as {pca} would read as a YAML mapping).
        triggers: [...QUEUE_NAMES.flatMap((queue) => [
          {
            name: `queue-${queue}`,
            listName: listNameOf(waitListKey, queue),
            length: as.listLength.str,
            activation: as.activationListLength.str,
          },
          {
            name: `queue-${queue}-active`,
            listName: listNameOf(activeListKey, queue),
            length: `{{ ${queueLimit(w, queue)} | quote }}`,
            activation: '0',
          },
        ]).map((t) => ({
          // redis, redis-sentinel or redis-cluster: the same list names, the topology's own address fields.
          type: '{{ include "pca-agent.kedaRedisType" . | quote }}',
          name: t.name,
          metadata: {
            address: when(redis.embedded, redis.kedaAddress),
            addresses: when(
              `or ${redis.sentinelOn} ${redis.clusterOn}`,
              `{{ join "," (ternary ${ext.sentinel.hosts.expr} ${ext.cluster.nodes.expr} ${redis.sentinelOn}) | quote }}`,
            ),
            sentinelMaster: when(redis.sentinelOn, ext.sentinel.masterSet.str),
            sentinelUsername: when(`and ${redis.sentinelOn} ${ext.sentinel.username.expr}`, ext.sentinel.username.str),
            databaseIndex: when(`and (not ${redis.embedded}) (not ${redis.clusterOn})`, '{{ include "pca-agent.externalRedis.db" . | quote }}'),
            enableTLS: when(`not ${redis.embedded}`, '{{ include "pca-agent.externalRedis.tls" . | quote }}'),
            listName: t.listName,
            listLength: t.length,
            activationListLength: t.activation,
          },
          authenticationRef: { name: authName },
        })), ...pendingTriggers],
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
