import type { RequestHandler } from 'express';
import { rateLimit, type Options as RateLimitOptions } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisStore } from 'rate-limit-redis';
import { ApiError, sendProblem } from '../errors';

export interface RateLimitGatewayOptions {
  readonly redis: Redis;
  /** Key prefix, from `appKeys(prefix).rateLimit`. */
  readonly keyPrefix: string;
  /** Requests per window per client IP. @default 100 */
  readonly limit?: number;
  /** @default 60_000 */
  readonly windowMs?: number;
  /**
   * What to do when Redis cannot count: `true` lets the request through un-counted (fail open),
   * `false` answers 503 problem+json (fail closed). Either way the limiter recovers by itself when
   * Redis returns. @default true
   */
  readonly failOpen?: boolean;
  /** Paths never counted (probes and scraping). @default ['/health', '/ready', '/metrics'] */
  readonly exemptPaths?: readonly string[];
  readonly logger: Logger;
}

/**
 * A RedisStore that survives a Redis outage. rate-limit-redis loads its Lua script once, in `init`;
 * if Redis was down then (or the script cache was lost) the stored rejected promise would make
 * every later call fail forever. After any failure the script is loaded again on the next call.
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
    if (this.reload) {
      this.reload = false;
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
    }
    try {
      return await super.increment(key);
    } catch (err) {
      this.reload = true;
      throw err;
    }
  }
}

/**
 * Rate limit per client IP, shared by every replica through Redis, counted before authentication so
 * floods of bad credentials are limited too. `req.ip` follows the app's `trust proxy` setting, which
 * app.ts sets to exactly TRUST_PROXY_HOPS: at 0 a client-supplied X-Forwarded-For is ignored.
 * Headers: `RateLimit` and `RateLimit-Policy` (IETF draft 8) and `Retry-After` on a 429.
 */
export function rateLimitGateway(opts: RateLimitGatewayOptions): RequestHandler {
  const limit = opts.limit ?? 100;
  const windowMs = opts.windowMs ?? 60_000;
  const exempt = new Set(opts.exemptPaths ?? ['/health', '/ready', '/metrics']);
  const client = opts.redis;
  let lastStoreWarning = 0;
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: `${limit}-per-${Math.ceil(windowMs / 1000)}s`,
    passOnStoreError: opts.failOpen ?? true,
    skip: (req) => exempt.has(req.path),
    store: new RecoveringRedisStore({
      prefix: opts.keyPrefix,
      sendCommand: (command: string, ...args: string[]) =>
        client.call(command, ...args) as Promise<boolean | number | string | (boolean | number | string)[]>,
    }),
    // TRUST_PROXY_HOPS decides req.ip; at 0 a forwarded header from the client is expected noise.
    validate: { xForwardedForHeader: false },
    logger: {
      // One warning per 10 s at most while Redis is down, not one per request.
      error: (err) => {
        const now = Date.now();
        if (now - lastStoreWarning < 10_000) return;
        lastStoreWarning = now;
        opts.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'rate limit store unavailable');
      },
      warn: (err, message) => opts.logger.warn({ reason: String(err) }, message ?? 'rate limit warning'),
    },
    handler: (req, res) => {
      res.locals.rateLimited = true;
      sendProblem(req, res, new ApiError(429, 'rate_limited', `more than ${limit} requests in ${Math.ceil(windowMs / 1000)} s from this client; retry after the time in Retry-After`));
    },
  });
}
