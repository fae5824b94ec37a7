import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/env';

export type RedisRole = 'request' | 'worker';

/**
 * One factory for every Redis connection. Request-path connections fail fast while Redis is down
 * (no offline queue, bounded retries per command) so the API answers 503 instead of hanging;
 * worker connections block and retry forever, as BullMQ requires (`maxRetriesPerRequest: null`).
 */
export function createRedis(
  cfg: Pick<Config, 'REDIS_URL' | 'REDIS_COMMAND_TIMEOUT_MS'> & Partial<Pick<Config, 'REDIS_USERNAME' | 'REDIS_PASSWORD'>>,
  role: RedisRole,
  name?: string,
): Redis {
  const common: RedisOptions = {
    connectionName: name,
    // Credentials in REDIS_URL win (ioredis fills options from the URL first); these apply when it has none,
    // so a password with URL-special characters never has to be percent-encoded into a URL.
    ...(cfg.REDIS_USERNAME ? { username: cfg.REDIS_USERNAME } : {}),
    ...(cfg.REDIS_PASSWORD ? { password: cfg.REDIS_PASSWORD } : {}),
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
  const options: RedisOptions =
    role === 'worker'
      ? { ...common, maxRetriesPerRequest: null, enableReadyCheck: true }
      : { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: cfg.REDIS_COMMAND_TIMEOUT_MS };
  const client = new Redis(cfg.REDIS_URL, options);
  // Errors surface through the commands that fail; without a listener ioredis prints every reconnect attempt.
  client.on('error', () => undefined);
  return client;
}

/** Quits a connection, falling back to disconnect when Redis is unreachable; safe to call twice. */
export async function closeRedis(client: Redis | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1000))]);
  } catch {
    client.disconnect();
  }
}

/** True when Redis answers PING within the timeout. */
export async function pingRedis(client: Redis, timeoutMs = 1000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  try {
    const reply = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ping timeout')), timeoutMs)),
    ]);
    return reply === 'PONG';
  } catch {
    return false;
  }
}
