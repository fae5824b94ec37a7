import type { ClientContext, Result } from 'ioredis';
import type { IncrementResponse, Store } from 'express-rate-limit';
import type { RedisClient } from './redis';

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** Takes `tokens` from a client's counter (created with the window's expiry). Returns [counter after, ms until reset]. */
    pcaRateLimitLease(key: string, tokens: string, windowMs: string): Result<[number, number], Context>;
  }
}

// The counter and expiry as rate-limit-redis keeps them (INCR, PEXPIRE on the window's first hit), so
// replicas of the previous version share each client's count with this one during a rolling upgrade.
const LEASE = `
local hits = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { hits, ttl }
`;

const SCRIPTED = new WeakSet<RedisClient>();

/** Distinct clients remembered per replica; past this the table starts over (their unused tokens are forfeit, never granted twice). */
const MAX_CLIENTS = 10_000;

interface Window {
  resetAt: number;
  /** The counter's value before our current lease: hits of this window we did not take. */
  base: number;
  granted: number;
  used: number;
  nextLease: number;
  /** The counter reached the limit: once `granted` is spent, refuse locally until the window resets. */
  exhausted: boolean;
  leasing?: Promise<void>;
}

export interface LeasedRateLimitStoreOptions {
  /** Key prefix, e.g. `appKeys(prefix).rateLimit`. */
  readonly prefix: string;
  readonly limit: number;
  readonly windowMs: number;
  /**
   * The largest lease as a share of the limit. A replica's unused tokens are counted but not used, so
   * a client can be refused up to `replicas × share × limit` requests early; it never gets more than
   * the limit. @default 0.01
   */
  readonly maxLeaseShare?: number;
  readonly now?: () => number;
}

/**
 * A fixed-window rate-limit store shared through Redis that leases each client's hits in blocks: a
 * replica takes tokens from the client's counter (one at first, doubling while the client keeps using
 * them, up to 1 % of the limit) and spends them locally, so a busy client costs one Redis round trip per
 * block instead of one per request, and a quiet client or a small limit is counted exactly as before.
 * Once the counter passes the limit, the replica refuses the client locally until the window resets.
 */
export class LeasedRateLimitStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private readonly windows = new Map<string, Window>();
  private readonly maxLease: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: LeasedRateLimitStoreOptions,
  ) {
    this.prefix = opts.prefix;
    this.maxLease = Math.max(1, Math.floor(opts.limit * (opts.maxLeaseShare ?? 0.01)));
    this.now = opts.now ?? Date.now;
    if (!SCRIPTED.has(redis)) {
      redis.defineCommand('pcaRateLimitLease', { numberOfKeys: 1, lua: LEASE });
      SCRIPTED.add(redis);
    }
  }

  async increment(key: string): Promise<IncrementResponse> {
    for (;;) {
      const local = this.hitLocally(key);
      if (local) return local;
      const w = this.window(key);
      // one lease in flight per client: concurrent requests wait for it, then spend from it
      w.leasing ??= this.lease(key, w).finally(() => {
        w.leasing = undefined;
      });
      await w.leasing;
    }
  }

  /** The hit counted from this replica's lease, or refused locally; undefined when Redis must be asked (`increment`). */
  hitLocally(key: string): IncrementResponse | undefined {
    const w = this.window(key);
    if (w.used < w.granted) {
      w.used++;
      return { totalHits: w.base + w.used, resetTime: new Date(w.resetAt) };
    }
    if (w.exhausted) return { totalHits: this.opts.limit + 1, resetTime: new Date(w.resetAt) };
    return undefined;
  }

  /** Gives a hit back (express-rate-limit's skip options): locally when it came from a lease, else in Redis. */
  async decrement(key: string): Promise<void> {
    const w = this.windows.get(key);
    if (w && w.resetAt > this.now() && w.used > 0) {
      w.used--;
      return;
    }
    await this.redis.decr(this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    this.windows.delete(key);
    await this.redis.del(this.prefix + key);
  }

  private window(key: string): Window {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || (w.resetAt <= now && !w.leasing)) {
      if (!w && this.windows.size >= MAX_CLIENTS) this.windows.clear();
      w = { resetAt: now + this.opts.windowMs, base: 0, granted: 0, used: 0, nextLease: 1, exhausted: false };
      this.windows.set(key, w);
    }
    return w;
  }

  private async lease(key: string, w: Window): Promise<void> {
    const take = w.nextLease;
    const [hits, ttl] = await this.redis.pcaRateLimitLease(this.prefix + key, String(take), String(this.opts.windowMs));
    const before = hits - take;
    const granted = Math.max(0, Math.min(take, this.opts.limit - before));
    w.resetAt = this.now() + ttl;
    w.base = before;
    w.granted = granted;
    w.used = 0;
    w.exhausted = granted < take;
    w.nextLease = Math.min(this.maxLease, take * 2);
  }
}
