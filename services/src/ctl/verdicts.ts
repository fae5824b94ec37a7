import { componentOf, TASK_LABEL } from './release';
import type { ReleaseObjects } from './release';
import type { ScaledObject, V1CronJob, V1Deployment, V1Job, V1Pod, V1StatefulSet, V2HorizontalPodAutoscaler } from './kube';

/** ok: nothing to do; warning: worth a look, does not fail `status`; unhealthy: `status` exits 1. */
export type Level = 'ok' | 'warning' | 'unhealthy';

export type RolloutState = 'rolled-out' | 'progressing' | 'unavailable' | 'failed';

export interface WorkloadVerdict {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly component: string;
  readonly desired: number;
  readonly ready: number;
  readonly updated: number;
  readonly available: number;
  readonly rollout: RolloutState;
  readonly level: Level;
  readonly message: string;
}

export interface AutoscalerVerdict {
  readonly kind: 'ScaledObject' | 'HorizontalPodAutoscaler';
  readonly name: string;
  readonly target: string;
  readonly ready: boolean | null;
  readonly active: boolean | null;
  readonly current: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly level: Level;
  readonly message: string;
}

export type JobOutcome = 'succeeded' | 'failed' | 'running';

export interface CronJobVerdict {
  readonly name: string;
  readonly task: string;
  readonly schedule: string;
  readonly suspended: boolean;
  readonly lastSchedule: string | null;
  readonly lastSuccessful: string | null;
  readonly lastRun: { readonly job: string; readonly outcome: JobOutcome; readonly reason: string | null } | null;
  readonly level: Level;
  readonly message: string;
}

export interface PodVerdict {
  readonly name: string;
  readonly component: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly reason: string;
  readonly level: Level;
  readonly message: string;
}

export interface ReleaseVerdict {
  readonly healthy: boolean;
  readonly level: Level;
  /** Deployments, then StatefulSets (the embedded Redis). */
  readonly workloads: WorkloadVerdict[];
  readonly autoscalers: AutoscalerVerdict[];
  readonly cronJobs: CronJobVerdict[];
  /** Only pods that are not ready or have restarted. */
  readonly pods: PodVerdict[];
}

const RANK: Record<Level, number> = { ok: 0, warning: 1, unhealthy: 2 };
export const worst = (levels: Level[]): Level => levels.reduce<Level>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');

type Condition = { type?: string; status?: string; reason?: string; message?: string };
const condition = (conditions: Condition[] | undefined, type: string): Condition | undefined =>
  conditions?.find((c) => c.type === type);

const iso = (d: Date | string | undefined): string | null => (d === undefined ? null : new Date(d).toISOString());

/** The rollout logic of `kubectl rollout status`, plus whether the pods that should serve are ready. */
export function deploymentVerdict(d: V1Deployment): WorkloadVerdict {
  const s = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const ready = s.readyReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  const progressing = condition(s.conditions, 'Progressing');
  const base = { kind: 'Deployment' as const, name: d.metadata?.name ?? '?', component: componentOf(d), desired, ready, updated, available };

  let rollout: RolloutState;
  let message: string;
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    rollout = 'failed';
    message = `rollout exceeded its progress deadline: ${progressing.message ?? 'no detail'}`;
  } else if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    rollout = 'progressing';
    message = 'waiting for the controller to observe the new spec';
  } else if (updated < desired) {
    rollout = 'progressing';
    message = `${updated} of ${desired} replicas updated`;
  } else if (total > updated) {
    rollout = 'progressing';
    message = `${total - updated} old replicas pending termination`;
  } else if (available < updated || ready < desired) {
    // The new ReplicaSet is in place but its pods do not serve: crashing, failing probes, or still starting.
    const done = progressing?.reason === 'NewReplicaSetAvailable';
    rollout = done ? 'unavailable' : 'progressing';
    message = `${Math.min(available, ready)} of ${desired} replicas available`;
  } else {
    rollout = 'rolled-out';
    message = desired === 0 ? 'scaled to zero' : 'rolled out';
  }

  return { ...base, rollout, ...workloadLevel(rollout, desired, ready, message) };
}

function workloadLevel(rollout: RolloutState, desired: number, ready: number, message: string): { level: Level; message: string } {
  if (rollout === 'failed') return { level: 'unhealthy', message };
  if (desired > 0 && ready === 0) return { level: 'unhealthy', message: `no ready replicas (${message})` };
  if (rollout === 'unavailable') return { level: 'unhealthy', message };
  return { level: rollout === 'progressing' ? 'warning' : 'ok', message };
}

/** The rollout logic of `kubectl rollout status` for a RollingUpdate StatefulSet. */
export function statefulSetVerdict(ss: V1StatefulSet): WorkloadVerdict {
  const s = ss.status ?? { replicas: 0 };
  const desired = ss.spec?.replicas ?? 1;
  const ready = s.readyReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const base = { kind: 'StatefulSet' as const, name: ss.metadata?.name ?? '?', component: componentOf(ss), desired, ready, updated, available };
  let rollout: RolloutState;
  let message: string;
  if ((ss.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    rollout = 'progressing';
    message = 'waiting for the controller to observe the new spec';
  } else if (updated < desired || (s.updateRevision !== undefined && s.currentRevision !== s.updateRevision)) {
    rollout = 'progressing';
    message = `${updated} of ${desired} replicas updated`;
  } else if (ready < desired) {
    rollout = 'unavailable';
    message = `${ready} of ${desired} replicas ready`;
  } else {
    rollout = 'rolled-out';
    message = desired === 0 ? 'scaled to zero' : 'rolled out';
  }
  return { ...base, rollout, ...workloadLevel(rollout, desired, ready, message) };
}

/** Replicas of the scale target, for autoscalers that do not report them. */
const replicasOf = (deployments: V1Deployment[], name: string): number | null => {
  const d = deployments.find((x) => x.metadata?.name === name);
  return d ? (d.status?.replicas ?? 0) : null;
};

const tri = (c: Condition | undefined): boolean | null => (c?.status === 'True' ? true : c?.status === 'False' ? false : null);

export function scaledObjectVerdict(so: ScaledObject, deployments: V1Deployment[]): AutoscalerVerdict {
  const conditions = so.status?.conditions;
  const ready = condition(conditions, 'Ready');
  const active = condition(conditions, 'Active');
  const fallback = condition(conditions, 'Fallback');
  const paused = so.metadata?.annotations?.['autoscaling.keda.sh/paused'] === 'true' || condition(conditions, 'Paused')?.status === 'True';
  const target = so.spec?.scaleTargetRef?.name ?? '?';
  let level: Level = 'ok';
  let message: string;
  if (tri(ready) === false) {
    level = 'unhealthy';
    message = `not ready: ${ready?.message || ready?.reason || 'no detail'}`;
  } else if (fallback?.status === 'True') {
    level = 'unhealthy';
    message = `scaler failing, using fallback replicas: ${fallback.message || fallback.reason || 'no detail'}`;
  } else if (tri(ready) === null) {
    level = 'warning';
    message = 'not reconciled by KEDA yet (is KEDA installed?)';
  } else if (paused) {
    level = 'warning';
    message = 'autoscaling paused';
  } else {
    message = tri(active) ? 'active: jobs waiting' : 'idle: no jobs waiting';
  }
  return {
    kind: 'ScaledObject',
    name: so.metadata?.name ?? '?',
    target,
    ready: tri(ready),
    active: tri(active),
    current: replicasOf(deployments, target),
    min: so.spec?.minReplicaCount ?? 0,
    max: so.spec?.maxReplicaCount ?? 100,
    level,
    message,
  };
}

export function hpaVerdict(hpa: V2HorizontalPodAutoscaler): AutoscalerVerdict {
  const conditions = hpa.status?.conditions;
  const able = condition(conditions, 'AbleToScale');
  const active = condition(conditions, 'ScalingActive');
  let level: Level = 'ok';
  let message = `desired ${hpa.status?.desiredReplicas ?? '?'}`;
  if (able?.status === 'False') {
    level = 'unhealthy';
    message = `cannot scale: ${able.message || able.reason || 'no detail'}`;
  } else if (active?.status === 'False' && active.reason !== 'ScalingDisabled') {
    level = 'unhealthy';
    message = `metrics unavailable: ${active.message || active.reason || 'no detail'}`;
  }
  return {
    kind: 'HorizontalPodAutoscaler',
    name: hpa.metadata?.name ?? '?',
    target: hpa.spec?.scaleTargetRef.name ?? '?',
    ready: able ? able.status === 'True' : null,
    active: tri(active),
    current: hpa.status?.currentReplicas ?? null,
    min: hpa.spec?.minReplicas ?? 1,
    max: hpa.spec?.maxReplicas ?? null,
    level,
    message,
  };
}

/** A Job's outcome from its conditions, with the reason when it failed. */
export function jobOutcome(job: V1Job): { outcome: JobOutcome; reason: string | null } {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True');
  if (failed) return { outcome: 'failed', reason: [failed.reason, failed.message].filter(Boolean).join(': ') || 'failed' };
  if (conditions.some((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True')) {
    return { outcome: 'succeeded', reason: null };
  }
  return { outcome: 'running', reason: null };
}

const created = (o: { metadata?: { creationTimestamp?: Date } }): number =>
  o.metadata?.creationTimestamp ? new Date(o.metadata.creationTimestamp).getTime() : 0;

/** Jobs of one CronJob (by owner reference), newest first. */
export function jobsOf(cronJob: V1CronJob, jobs: V1Job[]): V1Job[] {
  const uid = cronJob.metadata?.uid;
  return jobs
    .filter((j) => j.metadata?.ownerReferences?.some((o) => o.kind === 'CronJob' && (uid ? o.uid === uid : o.name === cronJob.metadata?.name)))
    .sort((a, b) => created(b) - created(a));
}

export function cronJobVerdict(cj: V1CronJob, jobs: V1Job[]): CronJobVerdict {
  const name = cj.metadata?.name ?? '?';
  const suspended = cj.spec?.suspend === true;
  const runs = jobsOf(cj, jobs).map((j) => ({ job: j.metadata?.name ?? '?', ...jobOutcome(j) }));
  const lastRun = runs[0] ?? null;
  let level: Level = 'ok';
  let message = lastRun ? `last run ${lastRun.outcome}` : 'no run yet';
  // The latest finished run decides: a failure followed by a success is healed; a run in progress is not yet.
  const lastFinished = runs.find((r) => r.outcome !== 'running');
  if (lastFinished?.outcome === 'failed') {
    level = 'unhealthy';
    message = `last run ${lastFinished.job} failed: ${lastFinished.reason}`;
  }
  if (suspended) {
    level = worst([level, 'warning']);
    message = `suspended; ${message}`;
  }
  return {
    name,
    task: cj.metadata?.labels?.[TASK_LABEL] ?? '-',
    schedule: cj.spec?.schedule ?? '?',
    suspended,
    lastSchedule: iso(cj.status?.lastScheduleTime),
    lastSuccessful: iso(cj.status?.lastSuccessfulTime),
    lastRun,
    level,
    message,
  };
}

/** Container states that never heal by waiting. */
const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** Grace for a pod that is starting before "not ready" counts as unhealthy. */
export const STARTUP_GRACE_MS = 120_000;

/** A verdict for a pod that is not ready or has restarted; null for a healthy or finished pod. */
export function podVerdict(pod: V1Pod, now: Date): PodVerdict | null {
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase === 'Succeeded') return null;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const ready = condition(pod.status?.conditions, 'Ready')?.status === 'True';
  const ownedByJob = pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job') ?? false;
  const base = { name: pod.metadata?.name ?? '?', component: componentOf(pod), phase, ready, restarts };

  const waiting = statuses.find((c) => c.state?.waiting?.reason && BAD_WAITING.has(c.state.waiting.reason));
  if (waiting) {
    const w = waiting.state!.waiting!;
    const last = waiting.lastState?.terminated;
    const lastText = last ? `; last exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '';
    return { ...base, reason: w.reason!, level: 'unhealthy', message: `${waiting.name}: ${w.message || w.reason}${lastText}` };
  }
  if (phase === 'Failed') {
    const term = statuses.find((c) => c.state?.terminated && c.state.terminated.exitCode !== 0)?.state?.terminated;
    const reason = pod.status?.reason ?? term?.reason ?? 'Failed';
    // A failed Job pod is the CronJob's story (its verdict says whether the job failed in the end).
    return { ...base, reason, level: ownedByJob ? 'warning' : 'unhealthy', message: pod.status?.message ?? `exit ${term?.exitCode ?? '?'}` };
  }
  const scheduled = condition(pod.status?.conditions, 'PodScheduled');
  if (phase === 'Pending' && scheduled?.status === 'False') {
    return { ...base, reason: scheduled.reason ?? 'Unschedulable', level: 'unhealthy', message: scheduled.message ?? 'cannot be scheduled' };
  }
  if (!ready && !ownedByJob) {
    const started = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
    const young = started !== undefined && now.getTime() - new Date(started).getTime() < STARTUP_GRACE_MS;
    const notReady = condition(pod.status?.conditions, 'Ready');
    return {
      ...base,
      reason: young ? 'Starting' : (notReady?.reason ?? 'NotReady'),
      level: young ? 'warning' : 'unhealthy',
      message: notReady?.message ?? `phase ${phase}, readiness probe not passing`,
    };
  }
  if (restarts > 0) {
    const last = statuses.find((c) => c.lastState?.terminated)?.lastState?.terminated;
    const lastText = last ? `, last exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '';
    return { ...base, reason: last?.reason ?? 'Restarted', level: 'warning', message: `restarted ${restarts} time(s)${lastText}` };
  }
  return null;
}

/** The whole verdict of `status`: a pure function of the objects the API returned and the clock. */
export function assessRelease(objects: Omit<ReleaseObjects, 'services'>, now: Date): ReleaseVerdict {
  const workloads = [...objects.deployments.map(deploymentVerdict), ...objects.statefulSets.map(statefulSetVerdict)];
  const autoscalers = [
    ...objects.scaledObjects.map((so) => scaledObjectVerdict(so, objects.deployments)),
    ...objects.hpas.map(hpaVerdict),
  ];
  const cronJobs = objects.cronJobs.map((cj) => cronJobVerdict(cj, objects.jobs));
  const pods = objects.pods.map((p) => podVerdict(p, now)).filter((p): p is PodVerdict => p !== null);
  const level = worst([...workloads, ...autoscalers, ...cronJobs, ...pods].map((v) => v.level));
  return { healthy: level !== 'unhealthy', level, workloads, autoscalers, cronJobs, pods };
}
