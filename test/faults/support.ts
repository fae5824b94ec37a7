import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../services/src/config/env';
import { closeQueues, createQueues, type Queues } from '../../services/src/queues/queues';
import { createStores } from '../../services/src/storage/stores';
import { RedisServer, RoleProcess } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

/** Credentials the fault tests configure; never expected in any log line. */
export const WRITE_KEY = 'faults-write-key-3b9d6c1e0a7f4e52';
export const READ_KEY = 'faults-read-key-8e1f2a7c5d3b9046';

/** The environment every spawned role shares in a test: one Redis, one prefix, test keys. */
export function roleEnv(prefix: string, redisUrl = REDIS_URL, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: WRITE_KEY,
    API_KEYS_READ_ONLY: READ_KEY,
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...extra,
  };
}

export const auth = (key = WRITE_KEY) => ({ 'x-api-key': key });

/** A valid inline campaign row (the body of one generate_campaign_report job). */
export function inlineRow(n: number) {
  return {
    id: `c-${n}`,
    name: `Campaign ${n}`,
    channel: (['search', 'social', 'display', 'video', 'email'] as const)[n % 5]!,
    status: 'active' as const,
    start_date: '2026-06-01',
    end_date: '2026-06-30',
    budget: 1000 + n,
    spend: 400 + (n % 300),
    impressions: 10_000 + n * 7,
    clicks: 300 + (n % 97),
    conversions: 10 + (n % 13),
    revenue: 900 + (n % 500),
    currency: 'USD',
  };
}

/** Queues and a plain connection under a fresh prefix on `redisUrl`; close() removes every key. */
export interface QueueFixture {
  readonly prefix: string;
  readonly cfg: Config;
  readonly redis: Redis;
  readonly queues: Queues;
  close(opts?: { keepKeys?: boolean }): Promise<void>;
}

export function queueFixture(name: string, redisUrl = REDIS_URL, prefix = testPrefix(name)): QueueFixture {
  const cfg = loadConfig({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent' });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const queues = createQueues(cfg, redis);
  return {
    prefix,
    cfg,
    redis,
    queues,
    async close(opts = {}) {
      await closeQueues(queues);
      if (!opts.keepKeys) await deleteByPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** Reads a whole response body as JSON, or undefined when it is not JSON. */
export async function jsonOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Median of numbers (not mutating the input). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Every credential value in `secrets` that appears in `text` (for "never in logs" checks). */
export function leaked(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length >= 8 && text.includes(s));
}

/**
 * Loads the newest backup in the filesystem blob store `blobDir` into a fresh private redis-server with the restore
 * command (which must succeed silently) and counts the campaigns of `prefix` in it.
 */
export async function campaignsInLatestBackup(prefix: string, blobDir: string): Promise<number> {
  const target = await RedisServer.start({ aof: false });
  const redis = new Redis(target.url, { maxRetriesPerRequest: 1 });
  try {
    const env = { REDIS_URL: target.url, REDIS_KEY_PREFIX: prefix, BLOB_FS_DIR: blobDir };
    const restore = new RoleProcess('restore', env, ['latest']);
    const exit = await restore.exited;
    if (exit.code !== 0 || restore.stderr) throw new Error(`restore exited ${exit.code}: ${restore.stderr}`);
    const stores = createStores(redis, loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    try {
      return await stores.campaigns.count();
    } finally {
      await stores.close();
    }
  } finally {
    redis.disconnect();
    await target.close();
  }
}
