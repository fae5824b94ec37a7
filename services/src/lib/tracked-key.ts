import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { RedisClient } from './redis';

/** Where Redis sends a RESP2 connection's tracking invalidations (a redirect target subscribes to it). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';

export interface TrackedKeyOptions {
  /** Watch the key (a connection of its own). Without it every read is a GET: the same reads, no cache. @default true */
  readonly watch?: boolean;
  /**
   * A value is read again after this long even if no invalidation came: the bound on staleness should the
   * watching connection die without Redis or this process noticing. @default 1000
   */
  readonly maxAgeMs?: number;
}

/**
 * One Redis string key read through server-assisted client-side caching. A connection of its own asks Redis
 * to announce every change of the key (`CLIENT TRACKING ON REDIRECT <itself> BCAST PREFIX <key>`, then
 * `SUBSCRIBE __redis__:invalidate`); while it is up, a value read is served from memory until Redis says the
 * key changed, it was flushed, or `maxAgeMs` passed. Without that connection (`watch: false`, connecting,
 * reconnecting, Redis Cluster, a server or ACL that refuses CLIENT TRACKING) every read is a GET.
 *
 * The announcements travel on another connection than the reads, so a read is only kept if no announcement
 * arrived while it was in flight. A write made by this process is announced too, but later: call
 * `invalidate()` once such a write is acknowledged, so this process reads its own writes.
 */
export class TrackedKey {
  private cached: { readonly value: string | null; readonly at: number } | undefined;
  /** Bumped by every invalidation: a GET in flight across one does not fill the cache. */
  private generation = 0;
  /** Bumped whenever the watching connection is lost: a watch begun before does not go live. */
  private epoch = 0;
  private live = false;
  private readonly maxAgeMs: number;
  private readonly watcher: Redis | undefined;

  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    opts: TrackedKeyOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 1000;
    // A cluster would need a watch on every primary: there, reads stay GETs.
    if (opts.watch === false || !(redis instanceof Redis)) return;
    this.watcher = redis.duplicate({
      // ioredis ignores RESP3's invalidation pushes; under RESP2 they arrive as messages on the channel.
      protocol: 2,
      // every (re)connection starts the watch again, in order: tracking first, then the subscription
      autoResubscribe: false,
      connectionName: `${redis.options.connectionName ?? 'pca-agent'}-tracking`,
    });
    this.watcher.on('ready', () => void this.watch());
    this.watcher.on('close', () => this.lose());
    // The only messages on the channel are this key's changes (or a flush): any of them invalidates.
    this.watcher.on('message', () => this.invalidate());
    // Lost connections surface as `close`; without a listener ioredis prints every reconnect attempt.
    this.watcher.on('error', () => undefined);
  }

  /** Whether reads are being served from memory between changes (for tests and diagnostics). */
  get watching(): boolean {
    return this.live;
  }

  /** The key's value: from memory while it is known to be current, else one GET. */
  async get(): Promise<string | null> {
    const c = this.cached;
    if (c && this.live && performance.now() - c.at < this.maxAgeMs) return c.value;
    const generation = this.generation;
    const at = performance.now();
    const value = await this.redis.get(this.key);
    if (this.live && generation === this.generation) this.cached = { value, at };
    return value;
  }

  /** Forgets the value: the next read is a GET. */
  invalidate(): void {
    this.generation++;
    this.cached = undefined;
  }

  async close(): Promise<void> {
    this.lose();
    const watcher = this.watcher;
    if (!watcher) return;
    // QUIT (allowed while subscribed) when connected; otherwise just stop reconnecting
    if (watcher.status === 'ready') await watcher.quit().catch(() => watcher.disconnect());
    else watcher.disconnect();
  }

  private async watch(): Promise<void> {
    const watcher = this.watcher!;
    const epoch = this.epoch;
    try {
      const id = await watcher.client('ID');
      await watcher.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', 'PREFIX', this.key);
      await watcher.subscribe(INVALIDATE_CHANNEL);
    } catch {
      // refused (ACL, Redis before 6) or lost meanwhile: reads stay GETs until the next connection
      return;
    }
    if (epoch !== this.epoch || watcher.status !== 'ready') return;
    // nothing read before the watch began is trusted
    this.invalidate();
    this.live = true;
  }

  private lose(): void {
    this.live = false;
    this.epoch++;
    this.invalidate();
  }
}
