import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig, type Config } from '../../services/src/config/env';
import { closeQueues, createQueues, type Queues } from '../../services/src/queues/queues';
import { createStores, type Stores } from '../../services/src/storage/stores';
import { createProcessorContext, type JobLike, type ProcessorContext } from '../../services/src/workers/processor-context';
import { deleteByPrefix, REDIS_URL, TEST_BLOB_DIR, testPrefix } from './redis';

export interface JobTestEnv {
  readonly cfg: Config;
  readonly prefix: string;
  readonly redis: Redis;
  readonly queues: Queues;
  readonly ctx: ProcessorContext;
  readonly stores: Stores;
  close(): Promise<void>;
}

/** A config, connections, queues and processor context under a fresh prefix; close() removes it all. */
export function jobTestEnv(name: string, env: Record<string, string> = {}, now?: () => Date): JobTestEnv {
  const prefix = testPrefix(name);
  const cfg = loadConfig({ REDIS_URL, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', BLOB_FS_DIR: TEST_BLOB_DIR, ...env });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = createQueues(cfg, redis);
  const stores = createStores(redis, cfg, { now });
  const ctx = createProcessorContext(cfg, redis, queues, pino({ level: 'silent' }), stores, now);
  return {
    cfg,
    prefix,
    redis,
    queues,
    ctx,
    stores,
    async close() {
      await closeQueues(queues);
      await stores.close();
      await deleteByPrefix(redis, prefix);
      await redis.quit();
    },
  };
}

/** A stand-in for a BullMQ job that records its progress. */
export function fakeJob<D>(name: string, data: D, id = 'job-1'): JobLike<D> & { progress: unknown[] } {
  const progress: unknown[] = [];
  return {
    id,
    name,
    data,
    progress,
    async updateProgress(p) {
      progress.push(p);
    },
  };
}

/** The stores a test reads back what real worker processes wrote (the shared test blob directory). */
export function testStores(redis: Redis, prefix: string): Stores {
  return createStores(redis, loadConfig({ REDIS_URL, REDIS_KEY_PREFIX: prefix, BLOB_FS_DIR: TEST_BLOB_DIR }));
}
