import { Cluster } from 'ioredis';
import type { Config } from '../config/env';
import { appKeys } from '../lib/keys';
import { redisMode, sentinelPrimary, slotOwner, type RedisClient } from '../lib/redis';
import { BACKUP_PREFIX, backupKey, backupsToKeep } from '../storage/backup-retention';
import { redisEndpoint, type RedisEndpoint } from '../storage/redis-endpoint';
import { rdbSnapshot } from '../storage/redis-snapshot';
import type { Processor } from './processor-context';

/**
 * The Redis to snapshot, with REDIS_URL's credentials and TLS. In sentinel and cluster mode REDIS_URL's host is not
 * dialled: the sentinels' current primary, or on a cluster the primary of the prefix's slot (every key of the
 * install hashes to that one slot, so its RDB holds all of them).
 */
async function snapshotSource(redis: RedisClient, cfg: Config, key: string): Promise<RedisEndpoint> {
  const endpoint = redisEndpoint(cfg);
  if (redis instanceof Cluster) return { ...endpoint, ...(await slotOwner(redis, key)) };
  if (redisMode(cfg) === 'sentinel') return { ...endpoint, ...(await sentinelPrimary(cfg)) };
  return endpoint;
}

/**
 * Streams a consistent snapshot of the Redis data (RDB over the replication protocol, from `snapshotSource`) into
 * the blob store as backups/<timestamp>.rdb, records the success (pca_backup_last_success_timestamp_seconds), then
 * applies the retention: the newest backup of each of BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY weeks.
 * A failed stream leaves no object (blob puts are all-or-nothing) and the job is retried.
 */
export const backupData: Processor<'backup_data'> = async (_job, ctx) => {
  const started = Date.now();
  const at = ctx.now();
  const key = backupKey(at);
  const successKey = appKeys(ctx.cfg.REDIS_KEY_PREFIX).backupLastSuccess;
  const size = await ctx.blobs.put(key, rdbSnapshot(await snapshotSource(ctx.redis, ctx.cfg, successKey)), { contentType: 'application/octet-stream' });
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
