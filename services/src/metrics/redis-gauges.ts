import { Gauge, type Registry } from 'prom-client';
import { appKeys } from '../lib/keys';
import { nodeOf, type RedisClient } from '../lib/redis';
import { sampled } from '../lib/sampled';

interface RedisSample {
  readonly up: boolean;
  readonly pingSeconds?: number;
  readonly usedBytes?: number;
  readonly maxBytes?: number;
}

async function sample(redis: RedisClient, key: string): Promise<RedisSample> {
  // On a cluster: the node of the install's slot, which holds every key (another node's memory says nothing).
  const node = await nodeOf(redis, key);
  const t = process.hrtime.bigint();
  await node.ping();
  const pingSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const info = await node.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { up: true, pingSeconds, usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
}

/**
 * Redis as this process sees it (on a cluster, the primary of the install's slot), sampled at scrape time (at most
 * every few seconds): reachable, round trip, memory used against maxmemory (at maxmemory every write and enqueue
 * fails: `noeviction`).
 */
export function registerRedisGauges(registry: Registry, redis: RedisClient, prefix: string, maxAgeMs = 5000): void {
  const key = appKeys(prefix).systemHealth;
  const current = sampled(() => sample(redis, key), { up: false }, maxAgeMs);
  const gauge = (name: string, help: string, pick: (s: RedisSample) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = pick(await current());
        this.reset();
        if (value !== undefined) this.set(value);
      },
    });
  gauge('pca_redis_up', '1 when this process reached Redis at the last sample, else 0', (s) => (s.up ? 1 : 0));
  gauge('pca_redis_ping_duration_seconds', 'Round trip of a PING from this process at the last sample', (s) => s.pingSeconds);
  gauge('pca_redis_memory_used_bytes', 'Redis used_memory (INFO memory) at the last sample', (s) => s.usedBytes);
  gauge('pca_redis_memory_max_bytes', 'Redis maxmemory at the last sample; 0 when unlimited', (s) => s.maxBytes);
}
