import type { Request, RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ApiError, sendProblem } from '../api/errors';
import { rateLimitLogger, redisRateLimitStore } from '../lib/rate-limit-store';

export interface LoginLimitOptions {
  readonly redis: Redis;
  /** Key prefix, from `appKeys(prefix).dashboardLoginFailures`. */
  readonly keyPrefix: string;
  /** Failed logins per client IP per window; the next attempt gets 429. @default 10 */
  readonly maxFailures?: number;
  /** @default 900_000 (15 minutes, a fixed window from the first failure) */
  readonly windowMs?: number;
  /** When Redis cannot count: `true` checks the credentials un-counted, `false` answers 503. @default true */
  readonly failOpen?: boolean;
  /** True when the request's credentials were accepted; set by the auth middleware after this one. */
  readonly succeeded: (req: Request, res: Parameters<RequestHandler>[1]) => boolean;
  readonly logger: Logger;
}

const PROPERTY = 'loginLimit';
const presentsBasicCredentials = (req: Request) => /^Basic\s/i.test(req.headers.authorization ?? '');

/** The count behind this request, once `loginLimit` has counted it (undefined for requests it skipped). */
export function loginAttempts(req: Request): RateLimitInfo | undefined {
  return (req as Request & { [PROPERTY]?: RateLimitInfo })[PROPERTY];
}

/**
 * Limits failed basic-auth logins per client IP, shared by every dashboard replica through Redis
 * (the API's rate-limit store). Only requests that present credentials are counted: each is counted
 * before the credentials are checked (so parallel guesses cannot overshoot) and given back once they
 * prove right, which leaves the failures. Past `maxFailures` every attempt, right or wrong, gets 429
 * problem+json with `Retry-After` until the window ends. `req.ip` follows the app's `trust proxy`
 * (TRUST_PROXY_HOPS), as in the API.
 */
export function loginLimit(opts: LoginLimitOptions): RequestHandler {
  const limit = opts.maxFailures ?? 10;
  const windowMs = opts.windowMs ?? 900_000;
  const seconds = Math.ceil(windowMs / 1000);
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: `${limit}-failed-logins-per-${seconds}s`,
    requestPropertyName: PROPERTY,
    passOnStoreError: opts.failOpen ?? true,
    skip: (req) => !presentsBasicCredentials(req),
    skipSuccessfulRequests: true,
    requestWasSuccessful: (req, res) => opts.succeeded(req, res),
    store: redisRateLimitStore(opts.redis, opts.keyPrefix),
    validate: { xForwardedForHeader: false },
    logger: rateLimitLogger(opts.logger),
    handler: (req, res) => {
      const info = loginAttempts(req);
      // once per client and window: the first refused attempt
      if (info && info.used === limit + 1) {
        opts.logger.warn({ client_ip: req.ip, max_failures: limit, retry_after_s: res.getHeader('Retry-After') }, 'dashboard login blocked: too many failed attempts');
      }
      sendProblem(req, res, new ApiError(429, 'too_many_failed_logins', `more than ${limit} failed logins in ${seconds} s from this client; retry after the time in Retry-After`));
    },
  });
}
