import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, type IncrementResponse } from 'express-rate-limit';
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
  /**
   * The app's `trust proxy` hop count (TRUST_PROXY_HOPS). At 0 the client is the socket's peer, read
   * directly: `req.ip` parses X-Forwarded-For on every call only to ignore it. @default 0
   */
  readonly trustProxyHops?: number;
  /** Paths never counted (probes and scraping). @default ['/health', '/ready', '/metrics'] */
  readonly exemptPaths?: readonly string[];
  readonly logger: Logger;
}

/**
 * Rate limit per client IP, shared by every replica through Redis (leased in blocks for busy clients:
 * lib/leased-rate-limit-store.ts), counted before authentication so floods of bad credentials are
 * limited too. `req.ip` follows the app's `trust proxy` setting, which app.ts sets to exactly
 * TRUST_PROXY_HOPS: at 0 a client-supplied X-Forwarded-For is ignored. Headers: `RateLimit` and
 * `RateLimit-Policy` (IETF draft 8, as express-rate-limit writes them) and `Retry-After` on a 429.
 * A hit served from the replica's lease is answered synchronously: no promise, no Redis call.
 */
export function rateLimitGateway(opts: RateLimitGatewayOptions): RequestHandler {
  const limit = opts.limit ?? 100;
  const windowMs = opts.windowMs ?? 60_000;
  const windowSeconds = Math.ceil(windowMs / 1000);
  const name = `${limit}-per-${windowSeconds}s`;
  const failOpen = opts.failOpen ?? true;
  const clientKey = cachedClientKey((partition) => `"${name}"; q=${limit}; w=${windowSeconds}; pk=:${partition}:`);
  const exempt = new Set(opts.exemptPaths ?? ['/health', '/ready', '/metrics']);
  const store = new LeasedRateLimitStore(opts.redis, { prefix: opts.keyPrefix, limit, windowMs });
  const log = rateLimitLogger(opts.logger);
  // One error for every refusal: its text never changes, and a stack trace per 429 was a tenth of the refusal's CPU.
  const refused = new ApiError(429, 'rate_limited', `more than ${limit} requests in ${windowSeconds} s from this client; retry after the time in Retry-After`);

  const answer = (req: Request, res: Response, next: NextFunction, key: ClientKey, hit: IncrementResponse) => {
    const resetSeconds = Math.max(0, Math.ceil((hit.resetTime!.getTime() - Date.now()) / 1000));
    res.setHeader('RateLimit', `"${name}"; r=${Math.max(limit - hit.totalHits, 0)}; t=${resetSeconds}`);
    res.setHeader('RateLimit-Policy', key.policy);
    if (hit.totalHits <= limit) return next();
    res.setHeader('Retry-After', String(resetSeconds));
    res.locals.rateLimited = true;
    sendProblem(req, res, refused);
  };

  const clientAddress = (opts.trustProxyHops ?? 0) === 0 ? (req: Request) => req.socket.remoteAddress : (req: Request) => req.ip;

  return (req, res, next) => {
    if (exempt.has(req.path)) return next();
    const key = clientKey(clientAddress(req));
    const local = store.hitLocally(key.id);
    if (local) return answer(req, res, next, key, local);
    store.increment(key.id).then(
      (hit) => answer(req, res, next, key, hit),
      (err: unknown) => {
        // Redis could not count: let the request through un-counted, or answer 503 through the error path
        if (!failOpen) return next(err);
        log.error(err);
        next();
      },
    );
  };
}

interface ClientKey {
  /** express-rate-limit's key for the address: what the counter is stored under. */
  readonly id: string;
  /** The `RateLimit-Policy` header: the policy with its `pk`, a short hash of the key (never the address itself). */
  readonly policy: string;
}

/** Distinct client addresses remembered; past this the cache starts over (a flood of addresses costs no memory). */
const MAX_CACHED_KEYS = 10_000;

/**
 * express-rate-limit's own key (`ipKeyGenerator`: an IPv4-mapped address as IPv4, IPv6 by /56 subnet)
 * and its RateLimit-Policy header (with the partition), remembered per address: parsing IPv6 and
 * hashing on every request, as a dual-stack listener sees even IPv4 clients (`::ffff:a.b.c.d`), was a
 * measurable share of a request's CPU.
 */
function cachedClientKey(policy: (partition: string) => string): (ip: string | undefined) => ClientKey {
  const keys = new Map<string, ClientKey>();
  return (ip) => {
    const address = ip ?? 'unknown';
    let key = keys.get(address);
    if (key === undefined) {
      if (keys.size >= MAX_CACHED_KEYS) keys.clear();
      const id = ip === undefined ? 'unknown' : ipKeyGenerator(ip, 56);
      // as express-rate-limit's draft-8 headers: the first 12 hex digits of SHA-256, in base64
      key = { id, policy: policy(Buffer.from(createHash('sha256').update(id).digest('hex').slice(0, 12)).toString('base64')) };
      keys.set(address, key);
    }
    return key;
  };
}
