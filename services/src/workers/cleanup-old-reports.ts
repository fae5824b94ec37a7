import { QUEUE_NAMES } from '../queues/contract';
import type { Processor } from './processor-context';

const DAY_MS = 86_400_000;

/**
 * Removes artifacts past the retention (bytes from the blob store, metadata from Redis), uploads past
 * their TTL, what writes killed mid-way left in the blob store, and finished jobs older than the retention, and says how many bytes that freed. Idempotent
 * and safe to run concurrently: each artifact is counted by the run that removed it.
 */
export const cleanupOldReports: Processor<'cleanup_old_reports'> = async (_job, ctx) => {
  const retentionMs = ctx.cfg.REPORT_RETENTION_DAYS * DAY_MS;
  const cutoff = new Date(ctx.now().getTime() - retentionMs);
  // Blobs carry the real clock's mtime: the orphan sweep compares against real time even under a test clock.
  const removed = await ctx.artifacts.removeOlderThan(cutoff, new Date(Date.now() - retentionMs));
  const uploads = await ctx.uploads.removeExpired();
  // A write that was killed mid-way is older than any deadline (the longest, backups, is 30 min) after a day.
  const partials = (await ctx.blobs.sweepIncomplete?.(new Date(Date.now() - DAY_MS))) ?? { removed: 0, bytesFreed: 0 };
  const jobsRemoved: Record<string, number> = {};
  for (const name of QUEUE_NAMES) {
    const queue = ctx.queues[name];
    if (!queue) continue;
    const completed = await queue.clean(retentionMs, 10_000, 'completed');
    const failed = await queue.clean(retentionMs * 2, 10_000, 'failed');
    jobsRemoved[name] = completed.length + failed.length;
  }
  return {
    artifacts_removed: removed.ids.length,
    removed_ids: removed.ids.slice(0, 1000),
    uploads_removed: uploads.removed,
    partial_writes_removed: partials.removed,
    bytes_freed: removed.bytesFreed + uploads.bytesFreed + partials.bytesFreed,
    jobs_removed: jobsRemoved,
    cutoff: cutoff.toISOString(),
  };
};
