import { QUEUE_NAMES } from '../queues/contract';
import type { Processor } from './processor-context';

const DAY_MS = 86_400_000;

/**
 * Removes artifacts past the retention and finished jobs older than it. Safe to run concurrently:
 * each artifact is counted by the run that removed it.
 */
export const cleanupOldReports: Processor<'cleanup_old_reports'> = async (_job, ctx) => {
  const retentionMs = ctx.cfg.REPORT_RETENTION_DAYS * DAY_MS;
  const cutoff = new Date(ctx.now().getTime() - retentionMs);
  const removed = await ctx.artifacts.removeOlderThan(cutoff);
  const jobsRemoved: Record<string, number> = {};
  for (const name of QUEUE_NAMES) {
    const queue = ctx.queues[name];
    if (!queue) continue;
    const completed = await queue.clean(retentionMs, 10_000, 'completed');
    const failed = await queue.clean(retentionMs * 2, 10_000, 'failed');
    jobsRemoved[name] = completed.length + failed.length;
  }
  return { artifacts_removed: removed.length, removed_ids: removed.slice(0, 1000), jobs_removed: jobsRemoved, cutoff: cutoff.toISOString() };
};
