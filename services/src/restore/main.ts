import { parseCommandLine } from '../lib/command-line';
import { Cluster } from 'ioredis';
import { loadConfig } from '../config/env';
import { closeRedis, createRedis, redisMode, sentinelPrimary } from '../lib/redis';
import { TOOL_NAMES } from '../telemetry/service-names';
import { BACKUP_PREFIX, backupTime } from '../storage/backup-retention';
import { redisEndpoint } from '../storage/redis-endpoint';
import { keyCount, restoreRdb } from '../storage/redis-restore';
import { createBlobStore } from '../storage/stores';

const USAGE = 'usage: restore <backups/<timestamp>.rdb | latest> [--force] [--advertise-host <address>] [--timeout <seconds>]';

/**
 * `main.js restore <backup>`: loads a backup_data snapshot from the blob store into the Redis at
 * REDIS_URL, which must be empty (`--force` replaces whatever it holds). Exit 0 restored, 1 failed or
 * refused, 2 usage; one line says which.
 */
export async function runRestore(argv: readonly string[]): Promise<number> {
  let values: { force?: boolean; 'advertise-host'?: string; timeout?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: { force: { type: 'boolean' }, 'advertise-host': { type: 'string' }, timeout: { type: 'string' } },
    }));
  } catch (err) {
    process.stderr.write(`restore: ${(err as Error).message}; ${USAGE}\n`);
    return 2;
  }
  const timeout = values.timeout === undefined ? 600 : Number(values.timeout);
  if (positionals.length !== 1 || !Number.isInteger(timeout) || timeout <= 0) {
    process.stderr.write(`restore: ${positionals.length !== 1 ? 'name one backup' : '--timeout must be a positive number of seconds'}; ${USAGE}\n`);
    return 2;
  }
  const cfg = loadConfig();
  const client = createRedis(cfg, 'worker', TOOL_NAMES.restore);
  if (client instanceof Cluster) {
    await closeRedis(client);
    process.stderr.write('restore: REDIS_CLUSTER_NODES is set; this command loads a backup into a single Redis only (a cluster backup too); move it into a cluster with the cluster\'s own tools (redis-cli --cluster import)\n');
    return 2;
  }
  const redis = client;
  const blobs = createBlobStore(cfg);
  try {
    // In sentinel mode REDIS_URL's host is never dialled: name the primary the sentinels point at.
    const ep = redisMode(cfg) === 'sentinel' ? await sentinelPrimary(cfg) : redisEndpoint(cfg);
    const all: string[] = [];
    for await (const b of blobs.list(BACKUP_PREFIX)) if (backupTime(b.key)) all.push(b.key);
    all.sort();
    const key = positionals[0] === 'latest' ? all.at(-1) : positionals[0]!;
    const info = key ? await blobs.stat(key) : null;
    if (!key || !info) {
      process.stderr.write(`restore: no backup ${positionals[0]} in the ${blobs.backend} blob store (${all.length ? `newest: ${all.slice(-3).join(', ')}` : 'there are no backups'})\n`);
      return 1;
    }
    const existing = await keyCount(redis);
    if (existing > 0 && !values.force) {
      process.stderr.write(`restore: the Redis at ${ep.host}:${ep.port} holds ${existing} keys; restore only into an empty Redis, or pass --force to replace all of its data with the backup\n`);
      return 1;
    }
    await restoreRdb(
      redis,
      { size: info.size, open: async () => (await blobs.get(key)) ?? Promise.reject(new Error(`${key} disappeared`)) },
      { advertiseHost: values['advertise-host'], timeoutMs: timeout * 1000 },
    );
    process.stdout.write(`restore: ${key} (${info.size} bytes) loaded into ${ep.host}:${ep.port}: ${await keyCount(redis)} keys\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`restore failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await closeRedis(redis);
    await blobs.close();
  }
}
