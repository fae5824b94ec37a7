import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { RedisClient } from '../../lib/redis';
import type { Logger } from 'pino';
import { LeasedRateLimitStore } from '../../lib/leased-rate-limit-store';
import { rateLimitLogger } from '../../lib/rate-limit-store';
import { ApiError, sendProblem } from '../errors';

export interface RateLimitGatewayOptions {
  readonly redis: RedisClient;
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
 * Rate limit per client IP, shared by every replica through Redis (leased in blocks for busy clients:
 * lib/leased-rate-limit-store.ts), counted before authentication so
 * floods of bad credentials are limited too. `req.ip` follows the app's `trust proxy` setting, which
 * app.ts sets to exactly TRUST_PROXY_HOPS: at 0 a client-supplied X-Forwarded-For is ignored.
 * Headers: `RateLimit` and `RateLimit-Policy` (IETF draft 8) and `Retry-After` on a 429.
 */
export function rateLimitGateway(opts: RateLimitGatewayOptions): RequestHandler {
  const limit = opts.limit ?? 100;
  const clientKey = cachedClientKey();
  const windowMs = opts.windowMs ?? 60_000;
  const exempt = new Set(opts.exemptPaths ?? ['/health', '/ready', '/metrics']);
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: `${limit}-per-${Math.ceil(windowMs / 1000)}s`,
    passOnStoreError: opts.failOpen ?? true,
    skip: (req) => exempt.has(req.path),
    keyGenerator: (req) => clientKey(req.ip),
    store: new LeasedRateLimitStore(opts.redis, { prefix: opts.keyPrefix, limit, windowMs }),
    // TRUST_PROXY_HOPS decides req.ip; at 0 a forwarded header from the client is expected noise.
    validate: { xForwardedForHeader: false },
    logger: rateLimitLogger(opts.logger),
    handler: (req, res) => {
      res.locals.rateLimited = true;
      sendProblem(req, res, new ApiError(429, 'rate_limited', `more than ${limit} requests in ${Math.ceil(windowMs / 1000)} s from this client; retry after the time in Retry-After`));
    },
  });
}

/** Distinct client addresses remembered; past this the cache starts over (a flood of addresses costs no memory). */
const MAX_CACHED_KEYS = 10_000;

/**
 * express-rate-limit's own key (`ipKeyGenerator`: an IPv4-mapped address as IPv4, IPv6 by /56 subnet),
 * remembered per address: parsing IPv6 on every request, as a dual-stack listener sees even IPv4
 * clients (`::ffff:a.b.c.d`), was a measurable share of a request's CPU.
 */
function cachedClientKey(): (ip: string | undefined) => string {
  const keys = new Map<string, string>();
  return (ip) => {
    if (ip === undefined) return 'unknown';
    let key = keys.get(ip);
    if (key === undefined) {
      if (keys.size >= MAX_CACHED_KEYS) keys.clear();
      key = ipKeyGenerator(ip, 56);
      keys.set(ip, key);
    }
    return key;
  };
}
