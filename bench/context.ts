import type { Redis } from 'ioredis';
import type { BenchChild } from './child-process';
import type { Figures } from './figures';
import type { BenchOptions } from './options';

/** What every section gets from main.ts. */
export interface BenchContext {
  readonly opts: BenchOptions;
  readonly redisUrl: string;
  /** A connection for seeding, enqueuing and cleaning (commands wait while Redis reconnects). */
  readonly redis: Redis;
  /** `bench-<random>`; sections use `<base>.<name>` sub-prefixes, all deleted at the end. */
  readonly basePrefix: string;
  /** The OTLP/HTTP sink every traced child exports to. */
  readonly sink: { readonly url: string; readonly child: BenchChild };
  /** A scratch folder for generated files, removed at the end. */
  readonly tmpDir: string;
  readonly figures: Figures;
  /** Progress line on stderr. */
  log(message: string): void;
}

/** Deletes every key matching a glob pattern with SCAN + UNLINK (never KEYS). Returns how many. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Environment shared by every pca-agent child: Redis, prefix, tracing to the sink, quick shutdown. */
export function serviceEnv(ctx: BenchContext, prefix: string, tracing: boolean): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    REDIS_URL: ctx.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    SHUTDOWN_DELAY_MS: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: ctx.sink.url,
    OTEL_SDK_DISABLED: tracing ? 'false' : 'true',
  };
}
