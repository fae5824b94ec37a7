import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../services/src/config/env';
import { createApp, type ApiApp, type AppDeps } from '../../services/src/api/app';
import { createLogger } from '../../services/src/lib/logger';
import { createRedis, type RedisClient } from '../../services/src/lib/redis';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

export const FULL_KEY = 'test-full-key-0123456789abcdef';
export const READ_KEY = 'test-read-key-0123456789abcdef';
export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

/** Log lines an app wrote, for asserting on what was (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp extends ApiApp {
  readonly config: Config;
  readonly redis: RedisClient;
  readonly logs: LogCapture;
}

/** An app on the shared test Redis under its own prefix; `env` overrides the test defaults. */
export function makeApp(prefix: string, env: Record<string, string> = {}, deps: Partial<AppDeps> = {}): TestApp {
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: FULL_KEY,
    API_KEYS_READ_ONLY: READ_KEY,
    JWT_SECRET,
    LOG_LEVEL: 'debug',
    ...env,
  });
  const redis = deps.redis ?? createRedis(config, 'request', 'test');
  const logs = new LogCapture();
  const logger = createLogger({ service: 'pca-agent-api', level: config.LOG_LEVEL, pretty: false, destination: logs });
  const api = createApp({ config, redis, logger, ...deps });
  return { ...api, config, redis, logs };
}

/** Waits until the request-role connection is ready (it fails fast instead of queueing). */
export async function ready(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis not ready: ${redis.status}`)), 5000);
    redis.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Closes apps and their connections, then deletes the prefix's keys. */
export async function cleanup(prefix: string, ...apps: TestApp[]): Promise<void> {
  for (const a of apps) await a.close();
  const admin = new Redis(REDIS_URL);
  try {
    await deleteByPrefix(admin, prefix);
  } finally {
    await admin.quit();
  }
  for (const a of apps) {
    if (a.redis.status === 'ready') await a.redis.quit();
    else a.redis.disconnect();
  }
}

export { testPrefix };

export const auth = { 'X-API-Key': FULL_KEY };
export const readAuth = { 'X-API-Key': READ_KEY };

export const campaignBody = (over: Record<string, unknown> = {}) => ({
  name: 'Spring Search',
  channel: 'search',
  status: 'active',
  start_date: '2026-03-01',
  end_date: '2026-03-31',
  budget: 1000,
  spend: 250,
  impressions: 10_000,
  clicks: 200,
  conversions: 10,
  revenue: 1000,
  currency: 'USD',
  ...over,
});
