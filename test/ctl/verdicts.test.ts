import {
  assessRelease,
  cronJobVerdict,
  deploymentVerdict,
  hpaVerdict,
  podVerdict,
  scaledObjectVerdict,
  statefulSetVerdict,
} from '../../services/src/ctl/verdicts';
import { cronJob, deployment, jobOf, minutesAgo, NOW, pod, scaledObject, statefulSet } from './objects';

describe('deploymentVerdict', () => {
  it('calls a finished rollout with every replica ready rolled out and ok', () => {
    const v = deploymentVerdict(deployment('api', 2));
    expect(v).toMatchObject({ name: 'pca-agent-api', component: 'api', desired: 2, ready: 2, rollout: 'rolled-out', level: 'ok' });
  });

  it('treats a worker scaled to zero as rolled out', () => {
    const v = deploymentVerdict(deployment('worker', 0));
    expect(v).toMatchObject({ rollout: 'rolled-out', level: 'ok', message: 'scaled to zero' });
  });

  it('reports a spec change the controller has not observed as progressing', () => {
    const d = deployment('api', 1);
    d.metadata!.generation = 3;
    expect(deploymentVerdict(d)).toMatchObject({ rollout: 'progressing', level: 'warning' });
  });

  it('reports a rolling update with old replicas still serving as progressing, a warning', () => {
    const v = deploymentVerdict(
      deployment('api', 2, {
        replicas: 3,
        updatedReplicas: 1,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
      }),
    );
    expect(v).toMatchObject({ rollout: 'progressing', level: 'warning', message: '1 of 2 replicas updated' });
  });

  it('reports a finished rollout whose pods stopped serving as unavailable and unhealthy', () => {
    const v = deploymentVerdict(
      deployment('dashboard', 1, {
        readyReplicas: 0,
        availableReplicas: 0,
        conditions: [
          { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      }),
    );
    expect(v).toMatchObject({ rollout: 'unavailable', level: 'unhealthy', ready: 0 });
    expect(v.message).toContain('no ready replicas');
  });

  it('marks a rollout with no ready replica unhealthy even while it progresses', () => {
    const v = deploymentVerdict(
      deployment('api', 1, {
        readyReplicas: 0,
        availableReplicas: 0,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
      }),
    );
    expect(v).toMatchObject({ rollout: 'progressing', level: 'unhealthy' });
  });

  it('reports a rollout past its progress deadline as failed', () => {
    const v = deploymentVerdict(
      deployment('api', 1, {
        updatedReplicas: 1,
        readyReplicas: 0,
        availableReplicas: 0,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "pca-agent-api-7d9" has timed out progressing.' }],
      }),
    );
    expect(v).toMatchObject({ rollout: 'failed', level: 'unhealthy' });
    expect(v.message).toContain('has timed out progressing');
  });
});

describe('statefulSetVerdict', () => {
  it('calls the embedded Redis rolled out when its revision is current and the replica ready', () => {
    expect(statefulSetVerdict(statefulSet('redis'))).toMatchObject({ kind: 'StatefulSet', name: 'pca-agent-redis', rollout: 'rolled-out', level: 'ok' });
  });

  it('reports a pending revision as progressing (old pod still serves) and a replica that is not ready as unhealthy', () => {
    expect(statefulSetVerdict(statefulSet('redis', { updateRevision: 'pca-agent-redis-2', updatedReplicas: 0 }))).toMatchObject({ rollout: 'progressing', level: 'warning' });
    expect(statefulSetVerdict(statefulSet('redis', { readyReplicas: 0, availableReplicas: 0 }))).toMatchObject({ rollout: 'unavailable', level: 'unhealthy' });
  });
});

describe('podVerdict', () => {
  it('ignores a ready pod that never restarted and a succeeded job pod', () => {
    expect(podVerdict(pod('pca-agent-api-1', 'api'), NOW)).toBeNull();
    expect(podVerdict(pod('pca-agent-health-check-1', 'cronjob', { phase: 'Succeeded', ready: false, ownerKind: 'Job' }), NOW)).toBeNull();
  });

  it('flags a crash-looping pod as unhealthy with the reason and the last exit', () => {
    const v = podVerdict(
      pod('pca-agent-worker-1', 'worker', {
        ready: false,
        restarts: 7,
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=worker' },
        lastTerminated: { exitCode: 78, reason: 'Error' },
      }),
      NOW,
    );
    expect(v).toMatchObject({ reason: 'CrashLoopBackOff', level: 'unhealthy', restarts: 7, ready: false });
    expect(v!.message).toContain('last exit 78 (Error)');
  });

  it('flags an image that cannot be pulled', () => {
    const v = podVerdict(pod('pca-agent-api-2', 'api', { ready: false, waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "pca-agent:nope"' } }), NOW);
    expect(v).toMatchObject({ reason: 'ImagePullBackOff', level: 'unhealthy' });
  });

  it('gives a starting pod a grace period, then calls it unhealthy', () => {
    expect(podVerdict(pod('p', 'api', { ready: false, started: minutesAgo(1) }), NOW)).toMatchObject({ reason: 'Starting', level: 'warning' });
    expect(podVerdict(pod('p', 'api', { ready: false, started: minutesAgo(10) }), NOW)).toMatchObject({ reason: 'ContainersNotReady', level: 'unhealthy' });
  });

  it('warns about a ready pod that restarted, with the last termination reason', () => {
    const v = podVerdict(pod('p', 'worker', { restarts: 2, lastTerminated: { exitCode: 137, reason: 'OOMKilled' } }), NOW);
    expect(v).toMatchObject({ reason: 'OOMKilled', level: 'warning', restarts: 2 });
  });

  it('reports an unschedulable pod with the scheduler message', () => {
    const p = pod('p', 'api', { ready: false, phase: 'Pending' });
    p.status!.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }];
    p.status!.containerStatuses = [];
    expect(podVerdict(p, NOW)).toMatchObject({ reason: 'Unschedulable', level: 'unhealthy', message: '0/1 nodes are available: 1 Insufficient memory.' });
  });
});

describe('cronJobVerdict', () => {
  it('reports schedule, times and a successful last run as ok', () => {
    const cj = cronJob('health_check', { lastSchedule: minutesAgo(3), lastSuccessful: minutesAgo(3) });
    const v = cronJobVerdict(cj, [jobOf(cj, 'a', 'succeeded', minutesAgo(8)), jobOf(cj, 'b', 'succeeded', minutesAgo(3))]);
    expect(v).toMatchObject({
      name: 'pca-agent-health-check',
      task: 'health_check',
      schedule: '*/5 * * * *',
      suspended: false,
      lastSchedule: minutesAgo(3).toISOString(),
      lastSuccessful: minutesAgo(3).toISOString(),
      lastRun: { job: 'pca-agent-health-check-b', outcome: 'succeeded' },
      level: 'ok',
    });
  });

  it('is unhealthy when the last finished run failed, even with a run in progress', () => {
    const cj = cronJob('cleanup_old_reports', { lastSchedule: minutesAgo(1), lastSuccessful: minutesAgo(60 * 24) });
    const jobs = [jobOf(cj, 'old', 'succeeded', minutesAgo(60 * 24)), jobOf(cj, 'bad', 'failed', minutesAgo(30)), jobOf(cj, 'now', 'running', minutesAgo(1))];
    const v = cronJobVerdict(cj, jobs);
    expect(v.level).toBe('unhealthy');
    expect(v.lastRun).toMatchObject({ job: 'pca-agent-cleanup-old-reports-now', outcome: 'running' });
    expect(v.message).toBe('last run pca-agent-cleanup-old-reports-bad failed: BackoffLimitExceeded: Job has reached the specified backoff limit');
  });

  it('heals when a success follows a failure', () => {
    const cj = cronJob('refresh_benchmarks');
    const v = cronJobVerdict(cj, [jobOf(cj, 'bad', 'failed', minutesAgo(60)), jobOf(cj, 'good', 'succeeded', minutesAgo(5))]);
    expect(v.level).toBe('ok');
  });

  it('warns about a suspended CronJob without failing the release', () => {
    const v = cronJobVerdict(cronJob('refresh_benchmarks', { suspend: true }), []);
    expect(v).toMatchObject({ suspended: true, level: 'warning', message: 'suspended; no run yet', lastRun: null, lastSchedule: null });
  });

  it('ignores Jobs owned by another CronJob', () => {
    const mine = cronJob('health_check');
    const other = cronJob('refresh_benchmarks');
    expect(cronJobVerdict(mine, [jobOf(other, 'x', 'failed', minutesAgo(1))]).level).toBe('ok');
  });
});

describe('autoscaler verdicts', () => {
  const worker = deployment('worker', 0);

  it('reads a ready, idle ScaledObject and the replicas of its target', () => {
    const v = scaledObjectVerdict(scaledObject([{ type: 'Ready', status: 'True' }, { type: 'Active', status: 'False' }]), [worker]);
    expect(v).toMatchObject({ kind: 'ScaledObject', target: 'pca-agent-worker', ready: true, active: false, current: 0, min: 0, max: 10, level: 'ok' });
  });

  it('is unhealthy when KEDA cannot read the trigger', () => {
    const v = scaledObjectVerdict(
      scaledObject([{ type: 'Ready', status: 'False', reason: 'ScaledObjectCheckFailed', message: 'error connecting to redis: dial tcp: connection refused' }]),
      [worker],
    );
    expect(v).toMatchObject({ ready: false, level: 'unhealthy' });
    expect(v.message).toContain('connection refused');
  });

  it('is unhealthy on fallback and warns when KEDA never reconciled it', () => {
    expect(scaledObjectVerdict(scaledObject([{ type: 'Ready', status: 'True' }, { type: 'Fallback', status: 'True', message: 'failing' }]), [worker]).level).toBe('unhealthy');
    expect(scaledObjectVerdict(scaledObject([]), [worker])).toMatchObject({ ready: null, level: 'warning' });
  });

  it('reads an HPA and fails it when metrics are missing', () => {
    const hpa = {
      metadata: { name: 'pca-agent-api' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'pca-agent-api' }, minReplicas: 1, maxReplicas: 4 },
      status: {
        currentReplicas: 2,
        desiredReplicas: 2,
        conditions: [
          { type: 'AbleToScale', status: 'True' },
          { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'missing request for cpu' },
        ],
      },
    };
    expect(hpaVerdict(hpa)).toMatchObject({ kind: 'HorizontalPodAutoscaler', current: 2, min: 1, max: 4, level: 'unhealthy' });
    hpa.status.conditions[1] = { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: '' };
    expect(hpaVerdict(hpa).level).toBe('ok');
  });
});

describe('assessRelease', () => {
  const healthy = {
    deployments: [deployment('api'), deployment('worker', 0), deployment('dashboard')],
    statefulSets: [statefulSet('redis')],
    cronJobs: [cronJob('health_check')],
    jobs: [],
    pods: [pod('pca-agent-api-1', 'api'), pod('pca-agent-dashboard-1', 'dashboard')],
    scaledObjects: [scaledObject([{ type: 'Ready', status: 'True' }, { type: 'Active', status: 'False' }])],
    hpas: [],
  };

  it('is healthy when every part is', () => {
    const v = assessRelease(healthy, NOW);
    expect(v).toMatchObject({ healthy: true, level: 'ok', pods: [] });
    expect(v.workloads.map((w) => `${w.kind}/${w.name}`)).toEqual([
      'Deployment/pca-agent-api',
      'Deployment/pca-agent-worker',
      'Deployment/pca-agent-dashboard',
      'StatefulSet/pca-agent-redis',
    ]);
  });

  it('stays healthy with only warnings', () => {
    const v = assessRelease({ ...healthy, cronJobs: [cronJob('health_check', { suspend: true })] }, NOW);
    expect(v).toMatchObject({ healthy: true, level: 'warning' });
  });

  it('is unhealthy when one pod crash-loops', () => {
    const crashing = pod('pca-agent-api-2', 'api', { ready: false, waiting: { reason: 'CrashLoopBackOff' }, restarts: 4 });
    const v = assessRelease({ ...healthy, pods: [...healthy.pods, crashing] }, NOW);
    expect(v).toMatchObject({ healthy: false, level: 'unhealthy' });
    expect(v.pods.map((p) => p.name)).toEqual(['pca-agent-api-2']);
  });
});
