import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { RedisClient } from '../lib/redis';
import type { Logger } from 'pino';
import { redisUnavailable } from '../api/errors';
import { rateLimitLogger, redisRateLimitStore } from '../lib/rate-limit-store';
import type { LoginGate, LoginVerdict } from './basic-auth';

export interface LoginLimitOptions {
  /** A request-role connection: fails fast while Redis is down. */
  readonly redis: RedisClient;
  /** Key prefix, from `appKeys(prefix).dashboardLoginFailures`. */
  readonly keyPrefix: string;
  /** Refused logins per client IP per window; past them every attempt gets 429. @default 10 */
  readonly maxFailures?: number;
  /** @default 900_000 (15 minutes, a fixed window from the first failure) */
  readonly windowMs?: number;
  /** When Redis cannot count: `true` judges the credentials un-counted, `false` answers 503 problem+json. @default true */
  readonly failOpen?: boolean;
  readonly logger: Logger;
}

/**
 * Failed dashboard logins per client IP, counted in Redis with the API's rate-limit store so every
 * dashboard replica shares them. Only refusals are counted, one atomic INCR each, so parallel wrong
 * guesses cannot overshoot: at most `maxFailures` of them are answered 401, the rest 429. Right
 * credentials only read the count (a page's parallel asset requests never trip it) and are refused
 * too while the client is blocked, so a right guess looks like a wrong one. `req.ip` follows the
 * app's `trust proxy` (TRUST_PROXY_HOPS), as in the API; IPv6 clients count per /56.
 */
export function loginLimit(opts: LoginLimitOptions): LoginGate {
  const limit = opts.maxFailures ?? 10;
  const windowMs = opts.windowMs ?? 900_000;
  const failOpen = opts.failOpen ?? true;
  const store = redisRateLimitStore(opts.redis, opts.keyPrefix);
  void store.init({ windowMs } as Parameters<typeof store.init>[0]);
  const warn = rateLimitLogger(opts.logger).error;
  const key = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

  const verdict = (failures: number, resetTime: Date | undefined, blocked: boolean): LoginVerdict => ({
    blocked,
    failures,
    maxFailures: limit,
    retryAfterSeconds: Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000)),
  });
  const unavailable = (err: unknown): LoginVerdict => {
    warn(err);
    if (!failOpen) throw redisUnavailable();
    return { blocked: false, failures: 0, maxFailures: limit, retryAfterSeconds: 0 };
  };

  return {
    async check(req) {
      try {
        const info = await store.get(key(req));
        return verdict(info?.totalHits ?? 0, info?.resetTime, (info?.totalHits ?? 0) >= limit);
      } catch (err) {
        return unavailable(err);
      }
    },
    async fail(req) {
      try {
        const info = await store.increment(key(req));
        return verdict(info.totalHits, info.resetTime, info.totalHits > limit);
      } catch (err) {
        return unavailable(err);
      }
    },
  };
}
