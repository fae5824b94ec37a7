import type { Options as RateLimitOptions } from 'express-rate-limit';
import type { RedisClient } from './redis';
import type { Logger } from 'pino';
import { RedisStore } from 'rate-limit-redis';

/**
 * A RedisStore that survives a Redis outage. rate-limit-redis loads its Lua scripts once, in `init`;
 * if Redis was down then (or the script cache was lost) the stored rejected promises would make
 * every later call fail forever. After any failure the scripts are loaded again on the next call.
 */
class RecoveringRedisStore extends RedisStore {
  private reload = false;

  override async init(options: RateLimitOptions): Promise<void> {
    try {
      await super.init(options);
    } catch {
      this.reload = true;
    }
  }

  override async increment(key: string) {
    return this.recovering(() => super.increment(key));
  }

  override async get(key: string) {
    return this.recovering(() => super.get(key));
  }

  private async recovering<T>(call: () => Promise<T>): Promise<T> {
    if (this.reload) {
      this.reload = false;
      this.incrementScriptSha = this.loadIncrementScript();
      this.getScriptSha = this.loadGetScript();
      this.incrementScriptSha.catch(() => undefined);
      this.getScriptSha.catch(() => undefined);
    }
    try {
      return await call();
    } catch (err) {
      this.reload = true;
      throw err;
    }
  }
}

/**
 * The one store every limiter uses (the API's express-rate-limit, the dashboard's failed logins):
 * counts shared by every replica through Redis under `prefix` (from `appKeys`), fixed windows,
 * recovering by itself after an outage.
 */
export function redisRateLimitStore(redis: RedisClient, prefix: string): RedisStore {
  return new RecoveringRedisStore({
    prefix,
    sendCommand: (command: string, ...args: string[]) =>
      redis.call(command, ...args) as Promise<boolean | number | string | (boolean | number | string)[]>,
  });
}

/** A logger for express-rate-limit: at most one warning per 10 s while the store is unavailable, not one per request. */
export function rateLimitLogger(logger: Pick<Logger, 'warn'>): RateLimitOptions['logger'] {
  let lastStoreWarning = 0;
  return {
    error: (err) => {
      const now = Date.now();
      if (now - lastStoreWarning < 10_000) return;
      lastStoreWarning = now;
      logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'rate limit store unavailable');
    },
    warn: (err, message) => logger.warn({ reason: String(err) }, message ?? 'rate limit warning'),
  };
}
