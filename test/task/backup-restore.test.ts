import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import request from 'supertest';
import { loadConfig, type Config } from '../../services/src/config/env';
import { bullPrefix } from '../../services/src/lib/keys';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { backupKey, backupsToKeep } from '../../services/src/storage/backup-retention';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { createStores, type Stores } from '../../services/src/storage/stores';
import { createProcessorContext } from '../../services/src/workers/processor-context';
import { runJob } from '../../services/src/workers/processors';
import { auth, makeApp, ready } from '../api/helpers';
import { campaignBody } from '../api/helpers';
import { RedisServer, RoleProcess, waitFor } from '../helpers/processes';
import { testPrefix } from '../helpers/redis';

/** Everything in the Redis, by key: its type and its content read back by type (TTL aside). */
async function contents(redis: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const type = await redis.type(k);
      const read: Record<string, () => Promise<unknown>> = {
        string: () => redis.get(k),
        hash: async () => Object.entries(await redis.hgetall(k)).sort(),
        list: () => redis.lrange(k, 0, -1),
        set: async () => (await redis.smembers(k)).sort(),
        zset: () => redis.call('ZRANGE', k, '0', '-1', 'WITHSCORES'),
        stream: async () => [await redis.xrange(k, '-', '+'), await redis.call('XINFO', 'GROUPS', k)],
      };
      out[k] = [type, await (read[type] ?? (() => Promise.resolve(`unread ${type}`)))()];
    }
  } while (cursor !== '0');
  return out;
}

let server: RedisServer;
let dir: string;
let redis: Redis;
let cfg: Config;
let stores: Stores;
let queues: Queues;
const prefix = testPrefix('backup');

beforeAll(async () => {
  server = await RedisServer.start({ aof: false });
  dir = await mkdtemp(join(tmpdir(), 'backups-'));
  cfg = loadConfig({ REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, BLOB_FS_DIR: dir, LOG_LEVEL: 'silent' });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
  stores = createStores(redis, cfg, { blobs: new FsBlobStore(dir) });
  queues = createQueues(cfg, redis);
});
afterAll(async () => {
  await closeQueues(queues);
  await stores.close();
  redis.disconnect();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test('retention keeps the newest backup of each of N days and M weeks', () => {
  const keys = [
    '2026-11-30T03:00:00.000Z', '2026-11-30T15:00:00.000Z', '2026-11-29T03:00:00.000Z', '2026-11-28T03:00:00.000Z',
    '2026-11-22T03:00:00.000Z', '2026-11-15T03:00:00.000Z', '2026-11-08T03:00:00.000Z',
  ].map((t) => backupKey(new Date(t)));
  expect([...backupsToKeep([...keys, 'backups/not-a-backup.txt'], 2, 3)].sort()).toEqual(
    // days: Nov 30 (the later one), Nov 29; ISO weeks: W49 (Nov 30), W48 (Nov 29), W47 (Nov 22)
    [backupKey(new Date('2026-11-22T03:00:00.000Z')), backupKey(new Date('2026-11-29T03:00:00.000Z')), backupKey(new Date('2026-11-30T15:00:00.000Z'))].sort(),
  );
});

test('backup_data snapshots campaigns, stats and finished task results; restore brings every one back into an empty Redis', async () => {
  // campaigns and gateway stats through the API, a finished task through a real worker
  const app = makeApp(prefix, { REDIS_URL: server.url, BLOB_FS_DIR: dir });
  await ready(app.redis);
  for (let i = 0; i < 20; i++) expect((await request(app.app).post('/api/v1/campaigns').set(auth).send(campaignBody({ name: `c${i}` }))).status).toBe(201);
  await app.stats.flush();
  const workerConnection = redis.duplicate();
  const worker = new Worker('maintenance', (job) => runJob(job, createProcessorContext(cfg, redis, queues, pino({ level: 'silent' }), stores)), {
    connection: workerConnection,
    prefix: bullPrefix(prefix),
  });
  const job = await enqueue(queues, 'refresh_benchmarks', {});
  await waitFor('the task finished', async () => (await job.getState()) === 'completed', 20_000);
  await worker.close();
  workerConnection.disconnect(); // BullMQ does not close a connection it was given
  const finished = (await queues.maintenance.getJob(job.id!))!.returnvalue;
  expect(finished).toBeTruthy();

  const ctx = createProcessorContext(cfg, redis, queues, pino({ level: 'silent' }), stores);
  const runBackup = async (id: string) =>
    (await runJob({ id, name: 'backup_data', data: {}, updateProgress: async () => undefined }, ctx)) as { key: string; size_bytes: number; removed: string[]; kept: string[] };
  const first = await runBackup('b0');
  expect(first).toMatchObject({ key: expect.stringMatching(/^backups\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.rdb$/), removed: [] });
  expect((await stores.blobs.stat(first.key))!.size).toBe(first.size_bytes);
  const metrics = await request(app.app).get('/metrics');
  const age = Date.now() / 1000 - Number(/^pca_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics.text)?.[1]);
  expect(age).toBeGreaterThanOrEqual(0);
  expect(age).toBeLessThan(60);
  await app.close();
  app.redis.disconnect();

  // what the next backup holds: everything as it is now (its own success record is written after it)
  const before = await contents(redis);
  // a second backup the same day: the retention keeps the newest of the day only
  await new Promise((r) => setTimeout(r, 5));
  const backup = await runBackup('b1');
  expect(backup.removed).toEqual([first.key]);
  expect(backup.kept).toEqual([backup.key]);

  expect(Object.keys(before).filter((k) => k.startsWith(`${prefix}:campaign:`))).toHaveLength(20);
  expect(Object.keys(before).some((k) => k.startsWith(`${prefix}:stats:`))).toBe(true);

  await redis.flushall(); // a private redis-server: never the shared one
  const env = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, BLOB_FS_DIR: dir };
  const restore = new RoleProcess('restore', env, ['latest']);
  expect((await restore.exited).code).toBe(0);
  expect(restore.stdout).toMatch(new RegExp(`^restore: ${backup.key} \\(\\d+ bytes\\) loaded into 127\\.0\\.0\\.1:${server.port}: \\d+ keys\\n$`));
  expect(await contents(redis)).toEqual(before);
  expect((await queues.maintenance.getJob(job.id!))!.returnvalue).toEqual(finished);
  expect(await stores.campaigns.count()).toBe(20);
  expect((await redis.info('replication')).match(/^role:(\w+)/m)?.[1]).toBe('master');

  // a Redis that holds data is refused, unless forced
  const refused = new RoleProcess('restore', env, ['latest']);
  expect((await refused.exited).code).toBe(1);
  expect(refused.stderr.trim()).toMatch(/^restore: the Redis at 127\.0\.0\.1:\d+ holds \d+ keys; restore only into an empty Redis, or pass --force/);
  const missing = new RoleProcess('restore', env, ['backups/nope.rdb']);
  expect((await missing.exited).code).toBe(1);
  expect(missing.stderr).toMatch(/^restore: no backup backups\/nope\.rdb in the filesystem blob store \(newest: backups\//);
  const forced = new RoleProcess('restore', env, ['latest', '--force']);
  expect((await forced.exited).code).toBe(0);
  expect(await contents(redis)).toEqual(before);
}, 60_000);
