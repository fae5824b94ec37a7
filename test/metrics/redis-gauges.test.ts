import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { registerRedisGauges } from '../../services/src/metrics/redis-gauges';
import { freePort } from '../helpers/processes';
import { REDIS_URL, testPrefix } from '../helpers/redis';

test('against a reachable Redis: up 1, a PING round trip, used memory', async () => {
  const redis = new Redis(REDIS_URL);
  try {
    const registry = new Registry();
    registerRedisGauges(registry, redis, testPrefix('redis-metrics'));
    const text = await registry.metrics();
    expect(text).toMatch(/^pca_redis_up 1$/m);
    expect(Number(/^pca_redis_ping_duration_seconds (\S+)$/m.exec(text)![1])).toBeGreaterThan(0);
    expect(Number(/^pca_redis_memory_used_bytes (\S+)$/m.exec(text)![1])).toBeGreaterThan(0);
    expect(text).toMatch(/^pca_redis_memory_max_bytes \d+$/m);
  } finally {
    await redis.quit();
  }
});

test('with nothing listening the scrape still answers within the bound, with up 0 and no stale figures', async () => {
  // The default ioredis client queues commands while it reconnects: without a bound, the scrape would hang.
  const redis = new Redis({ port: await freePort(), host: '127.0.0.1', retryStrategy: () => 200 });
  redis.on('error', () => undefined);
  try {
    const registry = new Registry();
    registerRedisGauges(registry, redis, testPrefix('redis-metrics'));
    // Without the bound this never resolves and the test times out.
    const text = await registry.metrics();
    expect(text).toMatch(/^pca_redis_up 0$/m);
    // prom-client prints an unset unlabelled gauge as 0: never a previous sample's figure.
    expect(text).toMatch(/^pca_redis_ping_duration_seconds 0$/m);
    expect(text).toMatch(/^pca_redis_memory_used_bytes 0$/m);
  } finally {
    redis.disconnect();
  }
});
