import { Construct } from 'constructs';
import { SCHEDULED_JOBS, type ScheduledJobName } from '../../services/src/queues/contract';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { labels, metadata, resourceName } from './names';
import { podMetadata, securePodSpec } from './pod-spec';
import { CRON_POD_OVERHEAD_SECONDS, CRON_VALUES_KEY } from './values';

/** `health_check` → `health-check` (Kubernetes names allow no underscores). */
export function cronJobSuffix(job: ScheduledJobName): string {
  return job.replace(/_/g, '-');
}

/**
 * Extra `task` arguments per job. `health_check` runs inside the CronJob pod (`--inline`): a check that
 * needed a worker would keep KEDA from ever scaling the workers to zero, and would report the very
 * backlog it is stuck in.
 */
export const SCHEDULED_TASK_ARGS: Record<ScheduledJobName, readonly string[]> = {
  cleanup_old_reports: [],
  backup_data: [],
  refresh_benchmarks: [],
  health_check: ['--inline'],
};

/** One CronJob per scheduled job of the queue contract, each running the task entry point once. */
export class CronJobs extends Construct {
  readonly names: Record<ScheduledJobName, string>;

  constructor(scope: Construct, id: string, ctx: AppContext) {
    super(scope, id);
    const v = ctx.values;
    const tpl = 'cronjobs.yaml';
    const names = {} as Record<ScheduledJobName, string>;
    for (const job of Object.keys(SCHEDULED_JOBS) as ScheduledJobName[]) {
      const c = v.cronJobs[CRON_VALUES_KEY[job]];
      const name = resourceName(cronJobSuffix(job));
      names[job] = name;
      const taskLabel = { 'pca-agent.io/task': job };
      new HelmObject(this, job, {
        kind: 'CronJob',
        metadata: metadata(name, 'cronjob', { labels: taskLabel }),
        spec: {
          schedule: c.schedule.value,
          timeZone: c.timeZone.value,
          suspend: c.suspend.value,
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: c.startingDeadlineSeconds.value,
          successfulJobsHistoryLimit: c.successfulJobsHistoryLimit.value,
          failedJobsHistoryLimit: c.failedJobsHistoryLimit.value,
          jobTemplate: {
            metadata: { labels: labels('cronjob', taskLabel) },
            spec: {
              backoffLimit: c.backoffLimit.value,
              // Every pod of the run gets its full --timeout plus start-up, never cut short by the Job.
              activeDeadlineSeconds: `{{ mul (add1 ${c.backoffLimit.expr}) (add ${c.timeoutSeconds.expr} ${CRON_POD_OVERHEAD_SECONDS}) }}`,
              ttlSecondsAfterFinished: c.ttlSecondsAfterFinished.value,
              template: {
                metadata: podMetadata('cronjob', v.cronJobs, { checksums: { ...ctx.config.checksums, ...ctx.redis.checksums } }, taskLabel),
                spec: securePodSpec({
                  serviceAccountName: ctx.serviceAccount.name,
                  automountServiceAccountToken: ctx.serviceAccount.automount,
                  restartPolicy: 'Never',
                  scheduling: v.cronJobs,
                  extraVolumes: v.cronJobs.extraVolumes,
                  volumes: [...ctx.blobs.volumes(), ...ctx.redis.caVolumes()],
                  containers: [
                    appContainer(ctx, {
                      name: 'task',
                      role: 'task',
                      args: ['task', job, ...SCHEDULED_TASK_ARGS[job], '--timeout', c.timeoutSeconds.str],
                      resources: v.cronJobs.resources,
                      // The Job's name: the same for every pod (retry) of one scheduled run, new for the next run.
                      env: [{ name: 'TASK_RUN_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } }],
                      extras: v.cronJobs,
                      blobs: true,
                    }),
                  ],
                }),
              },
            },
          },
        },
        template: tpl,
        condition: c.enabled.expr,
      });
    }
    this.names = names;
  }
}
