import type { ScaledObject, V1CronJob, V1Deployment, V1Job, V1Pod, V1Service, V1StatefulSet } from '../../services/src/ctl/kube';

// Builders of real-shaped API objects (as the API server returns them, dates deserialized to Date) for the pure tests.

export const RELEASE = 'pca-agent';
export const NS = 'pca';
export const NOW = new Date('2026-11-28T12:00:00Z');
export const minutesAgo = (m: number): Date => new Date(NOW.getTime() - m * 60_000);

export const releaseLabels = (component: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'app.kubernetes.io/name': 'pca-agent',
  'app.kubernetes.io/instance': RELEASE,
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/managed-by': 'Helm',
  ...extra,
});

/** A Deployment whose rollout finished with every replica ready; override status fields to break it. */
export function deployment(component: string, replicas = 1, status: Partial<NonNullable<V1Deployment['status']>> = {}, generation = 2): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${RELEASE}-${component}`, namespace: NS, generation, labels: releaseLabels(component), uid: `uid-deploy-${component}` },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'pca-agent', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': component } },
      template: { metadata: { labels: releaseLabels(component) }, spec: { containers: [{ name: component, image: 'pca-agent:dev' }] } },
    },
    status: { ...rolledOutStatus(replicas, generation), ...status },
  };
}

/** The status the Deployment controller reports once a rollout finished and every replica is ready. */
export function rolledOutStatus(replicas: number, generation: number): NonNullable<V1Deployment['status']> {
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
    ],
  };
}

export function statefulSet(component: string, status: Partial<NonNullable<V1StatefulSet['status']>> = {}): V1StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `${RELEASE}-${component}`, namespace: NS, generation: 1, labels: releaseLabels(component) },
    spec: {
      replicas: 1,
      serviceName: `${RELEASE}-${component}`,
      selector: { matchLabels: { 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': component } },
      template: { metadata: { labels: releaseLabels(component) }, spec: { containers: [{ name: component, image: 'redis:7.4.2' }] } },
    },
    status: {
      observedGeneration: 1,
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      currentRevision: `${RELEASE}-${component}-1`,
      updateRevision: `${RELEASE}-${component}-1`,
      ...status,
    },
  };
}

export function pod(name: string, component: string, opts: { ready?: boolean; phase?: string; started?: Date; waiting?: { reason: string; message?: string }; restarts?: number; lastTerminated?: { exitCode: number; reason?: string }; ownerKind?: string } = {}): V1Pod {
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: releaseLabels(component),
      creationTimestamp: opts.started ?? minutesAgo(30),
      ownerReferences: [{ apiVersion: opts.ownerKind === 'Job' ? 'batch/v1' : 'apps/v1', kind: opts.ownerKind ?? 'ReplicaSet', name: `${name}-owner`, uid: `uid-${name}-owner` }],
    },
    spec: { containers: [{ name: component, image: 'pca-agent:dev', ports: [{ name: 'http', containerPort: 8000 }] }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: opts.started ?? minutesAgo(30),
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False', ...(ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${component}]` }) },
      ],
      containerStatuses: [
        {
          name: component,
          image: 'pca-agent:dev',
          imageID: '',
          ready,
          restartCount: opts.restarts ?? 0,
          state: opts.waiting ? { waiting: opts.waiting } : { running: { startedAt: opts.started ?? minutesAgo(30) } },
          ...(opts.lastTerminated ? { lastState: { terminated: { ...opts.lastTerminated } } } : {}),
        },
      ],
    },
  };
}

export function cronJob(task: string, opts: { suspend?: boolean; lastSchedule?: Date; lastSuccessful?: Date; schedule?: string } = {}): V1CronJob {
  const name = `${RELEASE}-${task.replace(/_/g, '-')}`;
  const labels = releaseLabels('cronjob', { 'pca-agent.io/task': task });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NS, uid: `uid-cron-${task}`, labels },
    spec: {
      schedule: opts.schedule ?? '*/5 * * * *',
      suspend: opts.suspend ?? false,
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        metadata: { labels, annotations: { 'pca-agent.io/origin': 'chart' } },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: 600,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'task',
                  image: 'pca-agent:dev',
                  command: ['node', '--require', './dist/services/src/telemetry/instrumentation.js', 'dist/services/src/main.js', 'task', task],
                },
              ],
            },
          },
        },
      },
    },
    status: { lastScheduleTime: opts.lastSchedule, lastSuccessfulTime: opts.lastSuccessful },
  };
}

/** A Job the CronJob controller created, finished as asked. */
export function jobOf(cj: V1CronJob, suffix: string, outcome: 'succeeded' | 'failed' | 'running', created: Date): V1Job {
  const conditions =
    outcome === 'succeeded'
      ? [{ type: 'Complete', status: 'True' }]
      : outcome === 'failed'
        ? [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]
        : [];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cj.metadata!.name}-${suffix}`,
      namespace: NS,
      creationTimestamp: created,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata!.name!, uid: cj.metadata!.uid!, controller: true }],
    },
    spec: cj.spec.jobTemplate.spec,
    status: { conditions },
  };
}

export function service(component: string, ports: Array<{ name?: string; port: number; targetPort?: number | string }>): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${RELEASE}-${component}`, namespace: NS, labels: releaseLabels(component) },
    spec: {
      selector: { 'app.kubernetes.io/name': 'pca-agent', 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/component': component },
      ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    },
  };
}

export function scaledObject(conditions: Array<{ type: string; status: string; reason?: string; message?: string }>, annotations: Record<string, string> = {}): ScaledObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: `${RELEASE}-worker`, labels: releaseLabels('worker'), annotations },
    spec: { scaleTargetRef: { name: `${RELEASE}-worker` }, minReplicaCount: 0, maxReplicaCount: 10 },
    status: { hpaName: `keda-hpa-${RELEASE}-worker`, conditions },
  };
}
