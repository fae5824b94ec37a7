import { hostname } from 'node:os';
import type { RedisClient } from '../../lib/redis';
import type { Logger } from 'pino';
import { appKeys } from '../../lib/keys';
import { HTTP_LATENCY_BUCKETS_SECONDS } from '../../metrics/api-metrics';

export interface GatewayStatsOptions {
  readonly redis: RedisClient;
  /** REDIS_KEY_PREFIX; counters live under `<prefix>:stats:gateway:*`. */
  readonly prefix: string;
  readonly version: string;
  readonly logger: Logger;
  /** How often local counts are pushed to Redis (one MULTI per flush). @default 1000 */
  readonly flushIntervalMs?: number;
  /** Latency mean and p95 cover this many most recent minutes. @default 5 */
  readonly windowMinutes?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Upper bounds (ms) of the latency histogram buckets, the Prometheus histogram's; the last bucket is open-ended. */
export const LATENCY_BUCKETS_MS: readonly number[] = HTTP_LATENCY_BUCKETS_SECONDS.map((s) => Math.round(s * 1e6) / 1e3);

export interface GatewayStatsSnapshot {
  readonly scope: 'deployment';
  readonly requests: {
    readonly total: number;
    readonly by_status_class: Record<string, number>;
    readonly by_route: Record<string, number>;
  };
  readonly rate_limited: number;
  readonly auth_failures: number;
  readonly latency: {
    readonly window_minutes: number;
    readonly count: number;
    readonly mean_ms: number | null;
    readonly p95_ms: number | null;
  };
  readonly instance: { readonly id: string; readonly version: string; readonly started_at: string; readonly uptime_seconds: number };
}

interface MinuteAgg {
  count: number;
  sumMs: number;
  buckets: number[];
}

interface Pending {
  fields: Map<string, number>;
  minutes: Map<number, MinuteAgg>;
}

const emptyPending = (): Pending => ({ fields: new Map(), minutes: new Map() });
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);

/**
 * Deployment-wide gateway counters. Each request only updates in-memory maps; a timer pushes them to
 * Redis in one MULTI per interval (and on close), so the per-request cost is a few map writes.
 * Totals live in one hash; latency in one hash per minute (histogram buckets, count, sum) with a TTL.
 * A failed flush keeps the counts and retries, so an outage delays numbers but does not lose them.
 */
export class GatewayStats {
  private pending = emptyPending();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly totalsKey: string;
  private readonly minuteKey: (minute: number) => string;
  private readonly now: () => number;
  private readonly windowMinutes: number;
  private readonly startedAt: number;
  private readonly instanceId = `${hostname()}-${process.pid}`;
  private closed = false;

  constructor(private readonly opts: GatewayStatsOptions) {
    const keys = appKeys(opts.prefix);
    this.totalsKey = keys.stats('gateway:totals');
    this.minuteKey = (minute) => keys.stats(`gateway:m:${minute}`);
    this.now = opts.now ?? Date.now;
    this.windowMinutes = opts.windowMinutes ?? 5;
    this.startedAt = this.now();
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Records one finished request. `route` is a template (or "unmatched"), never a raw URL. */
  record(r: { method: string; route: string; status: number; durationMs: number; rateLimited?: boolean; authFailure?: boolean }): void {
    const f = this.pending.fields;
    bump(f, 'total');
    bump(f, `class:${Math.floor(r.status / 100)}xx`);
    bump(f, `route:${METHODS.has(r.method) ? r.method : 'OTHER'} ${r.route}`);
    if (r.rateLimited) bump(f, 'rate_limited');
    if (r.authFailure) bump(f, 'auth_failures');
    const minute = Math.floor(this.now() / 60_000);
    let m = this.pending.minutes.get(minute);
    if (!m) this.pending.minutes.set(minute, (m = { count: 0, sumMs: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) }));
    m.count++;
    m.sumMs += r.durationMs;
    let b = LATENCY_BUCKETS_MS.findIndex((ub) => r.durationMs <= ub);
    if (b < 0) b = LATENCY_BUCKETS_MS.length;
    m.buckets[b]!++;
  }

  /** Pushes local counts to Redis; concurrent calls share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    const batch = this.pending;
    if (batch.fields.size === 0 && batch.minutes.size === 0) return;
    this.pending = emptyPending();
    const ttlSeconds = Math.max(this.windowMinutes * 2, 10) * 60;
    const multi = this.opts.redis.multi();
    for (const [field, n] of batch.fields) multi.hincrby(this.totalsKey, field, n);
    for (const [minute, m] of batch.minutes) {
      const key = this.minuteKey(minute);
      multi.hincrby(key, 'count', m.count);
      multi.hincrbyfloat(key, 'sum_ms', m.sumMs);
      m.buckets.forEach((n, i) => n && multi.hincrby(key, `b${i}`, n));
      multi.expire(key, ttlSeconds);
    }
    try {
      await multi.exec();
    } catch (err) {
      this.merge(batch, ttlSeconds);
      this.opts.logger.debug({ reason: (err as Error).message }, 'gateway stats flush failed; will retry');
    }
  }

  private merge(batch: Pending, ttlSeconds: number): void {
    for (const [k, n] of batch.fields) bump(this.pending.fields, k, n);
    const oldest = Math.floor(this.now() / 60_000) - ttlSeconds / 60;
    for (const [minute, m] of batch.minutes) {
      if (minute < oldest) continue;
      const cur = this.pending.minutes.get(minute);
      if (!cur) {
        this.pending.minutes.set(minute, m);
        continue;
      }
      cur.count += m.count;
      cur.sumMs += m.sumMs;
      m.buckets.forEach((n, i) => (cur.buckets[i]! += n));
    }
  }

  /** Deployment-wide snapshot; flushes this instance first so its own counts are current. */
  async read(): Promise<GatewayStatsSnapshot> {
    await this.flush();
    const current = Math.floor(this.now() / 60_000);
    const pipeline = this.opts.redis.pipeline().hgetall(this.totalsKey);
    for (let i = 0; i < this.windowMinutes; i++) pipeline.hgetall(this.minuteKey(current - i));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0] instanceof Error ? failed[0] : new Error(String(failed[0]));
    const [totals, ...minutes] = results.map(([, v]) => v as Record<string, string>);
    const byClass: Record<string, number> = {};
    const byRoute: Record<string, number> = {};
    for (const [field, value] of Object.entries(totals ?? {})) {
      if (field.startsWith('class:')) byClass[field.slice(6)] = Number(value);
      else if (field.startsWith('route:')) byRoute[field.slice(6)] = Number(value);
    }
    let count = 0;
    let sumMs = 0;
    const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    for (const m of minutes) {
      count += Number(m?.count ?? 0);
      sumMs += Number(m?.sum_ms ?? 0);
      buckets.forEach((_, i) => (buckets[i]! += Number(m?.[`b${i}`] ?? 0)));
    }
    const now = this.now();
    return {
      scope: 'deployment',
      requests: { total: Number(totals?.total ?? 0), by_status_class: byClass, by_route: byRoute },
      rate_limited: Number(totals?.rate_limited ?? 0),
      auth_failures: Number(totals?.auth_failures ?? 0),
      latency: {
        window_minutes: this.windowMinutes,
        count,
        mean_ms: count ? round(sumMs / count) : null,
        p95_ms: count ? round(histogramQuantile(buckets, 0.95)) : null,
      },
      instance: {
        id: this.instanceId,
        version: this.opts.version,
        started_at: new Date(this.startedAt).toISOString(),
        uptime_seconds: Math.round((now - this.startedAt) / 1000),
      },
    };
  }

  /** Stops the timer and flushes what is left; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } catch {
      // shutdown must finish even if Redis is gone
    }
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

/** A quantile of bucketed counts (not of samples, as the benchmarks' quantile), interpolated inside its bucket. */
export function histogramQuantile(buckets: readonly number[], q: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      // The open-ended last bucket has no upper bound: report its lower bound.
      if (i >= LATENCY_BUCKETS_MS.length) return lower;
      const upper = LATENCY_BUCKETS_MS[i]!;
      return lower + ((rank - seen) / n) * (upper - lower);
    }
    seen += n;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]!;
}
