import { Cluster } from 'ioredis';
import { appKeys } from '../lib/keys';
import { slotOwner } from '../lib/redis';
import { BACKUP_PREFIX, backupKey, backupsToKeep } from '../storage/backup-retention';
import { redisEndpoint } from '../storage/redis-endpoint';
import { rdbSnapshot } from '../storage/redis-snapshot';
import type { Processor } from './processor-context';

/**
 * Streams a consistent snapshot of the Redis data (RDB over the replication protocol; on a cluster, of the
 * primary that serves the prefix's slot) into the blob store as backups/<timestamp>.rdb, records the success
 * (pca_backup_last_success_timestamp_seconds), then applies the retention: the newest backup of each of BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY weeks.
 * A failed stream leaves no object (blob puts are all-or-nothing) and the job is retried.
 */
export const backupData: Processor<'backup_data'> = async (_job, ctx) => {
  const started = Date.now();
  const at = ctx.now();
  const key = backupKey(at);
  const successKey = appKeys(ctx.cfg.REDIS_KEY_PREFIX).backupLastSuccess;
  // On a cluster every key of the install hashes to the prefix's one slot: the RDB of the primary that serves
  // it holds all of them (REDIS_URL's host is not one of the nodes to dial there).
  const endpoint = { ...redisEndpoint(ctx.cfg), ...(ctx.redis instanceof Cluster ? await slotOwner(ctx.redis, successKey) : {}) };
  const size = await ctx.blobs.put(key, rdbSnapshot(endpoint), { contentType: 'application/octet-stream' });
  await ctx.redis.set(successKey, JSON.stringify({ at: at.toISOString(), key, size_bytes: size }));

  const all: string[] = [];
  for await (const b of ctx.blobs.list(BACKUP_PREFIX)) all.push(b.key);
  const keep = backupsToKeep(all, ctx.cfg.BACKUP_KEEP_DAILY, ctx.cfg.BACKUP_KEEP_WEEKLY);
  keep.add(key);
  const removed: string[] = [];
  for (const k of all) {
    if (!keep.has(k) && /^backups\/.+\.rdb$/.test(k) && (await ctx.blobs.delete(k))) removed.push(k);
  }
  ctx.logger.info({ key, size_bytes: size, removed: removed.length }, 'backup written');
  return { key, size_bytes: size, took_ms: Date.now() - started, kept: [...keep].sort(), removed: removed.sort() };
};
