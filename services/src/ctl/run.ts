import type { CommandContext } from './command-context';
import { CtlError, ReleaseNotFoundError } from './errors';
import { jobFromCronJob } from './job-from-cronjob';
import { releaseSelector, TASK_LABEL } from './release';
import { jobOutcome } from './verdicts';
import type { V1CronJob, V1Job } from './kube';
import { watchUntil } from './watch-until';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

export interface RunOptions {
  /** Wait for the Job to finish, then print its logs and outcome. @default false */
  readonly wait?: boolean;
  /** Seconds `--wait` waits before giving up. @default 600 */
  readonly timeoutSeconds?: number;
}

/** The task's CronJob, by its `pca-agent.io/task` label (`cleanup_old_reports`, `cleanup-old-reports`) or its name. */
export function findTaskCronJob(cronJobs: V1CronJob[], task: string): V1CronJob | undefined {
  const jobName = task.replace(/-/g, '_');
  return (
    cronJobs.find((c) => c.metadata?.labels?.[TASK_LABEL] === jobName) ??
    cronJobs.find((c) => c.metadata?.name === task) ??
    cronJobs.find((c) => c.metadata?.name?.endsWith(`-${task.replace(/_/g, '-')}`))
  );
}

async function printLogs(ctx: CommandContext, job: V1Job): Promise<void> {
  const namespace = ctx.client.namespace;
  const name = job.metadata?.name ?? '';
  const pods = (await ctx.client.core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${name}` })).items;
  for (const pod of pods) {
    for (const container of pod.spec?.containers ?? []) {
      const podName = pod.metadata?.name ?? '?';
      ctx.out.write(`--- logs of pod ${podName}, container ${container.name} ---\n`);
      try {
        const text = await ctx.client.core.readNamespacedPodLog({ name: podName, namespace, container: container.name });
        ctx.out.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      } catch (err) {
        ctx.out.write(`(no logs: ${(err as { code?: unknown }).code === 400 ? 'the container has not started' : 'the API refused them'})\n`);
      }
    }
  }
}

/** `run <task> [--wait] [--timeout s]`: `kubectl create job --from=cronjob/<task's CronJob>`, then optionally follow it. */
export async function runCommand(ctx: CommandContext, task: string, opts: RunOptions = {}): Promise<number> {
  const namespace = ctx.client.namespace;
  const cronJobs = (await ctx.client.batch.listNamespacedCronJob({ namespace, labelSelector: releaseSelector(ctx.release) })).items;
  if (cronJobs.length === 0) {
    throw new ReleaseNotFoundError(
      `Release "${ctx.release}" has no CronJobs in namespace "${namespace}": check --namespace and --release, or whether the tasks are disabled in the values.`,
    );
  }
  const cronJob = findTaskCronJob(cronJobs, task);
  if (!cronJob) {
    const known = cronJobs.map((c) => c.metadata?.labels?.[TASK_LABEL] ?? c.metadata?.name).join(', ');
    throw new CtlError(`No task "${task}" in release "${ctx.release}"; its tasks are: ${known}.`);
  }
  const created = await ctx.client.batch.createNamespacedJob({ namespace, body: jobFromCronJob(cronJob) });
  const name = created.metadata?.name ?? '?';
  ctx.out.write(`Created job ${name} from cronjob ${cronJob.metadata?.name} in namespace ${namespace}.\n`);
  if (!opts.wait) {
    ctx.out.write(`Follow it with: kubectl logs -f job/${name} -n ${namespace}\n`);
    return 0;
  }

  const timeoutMs = (opts.timeoutSeconds ?? 600) * 1000;
  const started = Date.now();
  const byName = `metadata.name=${name}`;
  const finished = await watchUntil(
    ctx.client.kc,
    [{ path: `/apis/batch/v1/namespaces/${namespace}/jobs`, fieldSelector: byName, list: () => ctx.client.batch.listNamespacedJob({ namespace, fieldSelector: byName }) }],
    ([jobs]) => {
      const job = jobs.find((j) => j.metadata?.name === name);
      const outcome = job && jobOutcome(job);
      return job && outcome && outcome.outcome !== 'running' ? { job, outcome } : undefined;
    },
    timeoutMs,
  );
  if (!finished) {
    ctx.out.write(`Job ${name} is still running after ${Math.round(timeoutMs / 1000)}s; follow it with: kubectl logs -f job/${name} -n ${namespace}\n`);
    return 1;
  }
  const { job, outcome } = finished;
  await printLogs(ctx, job);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (outcome.outcome === 'succeeded') {
    ctx.out.write(`Job ${name} succeeded after ${seconds}s.\n`);
    return 0;
  }
  ctx.out.write(`Job ${name} failed after ${seconds}s: ${outcome.reason}\n`);
  return 1;
}
