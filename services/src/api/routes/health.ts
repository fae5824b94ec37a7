import { Router } from 'express';
import { pingRedis, type RedisClient } from '../../lib/redis';
import type { BlobStore } from '../../storage/blob-store';

export interface HealthOptions {
  readonly redis: RedisClient;
  /** The blob store of artifacts and uploads: unreachable means uploads and downloads fail. */
  readonly blobs?: BlobStore;
  /** True once shutdown has begun: readiness turns 503 so the load balancer stops sending traffic. */
  readonly isShuttingDown: () => boolean;
}

/**
 * `/health` is liveness: the process serves HTTP, nothing else (a Redis outage must not restart pods).
 * `/ready` is readiness: Redis answers PING, the blob store answers and the process is not shutting down;
 * 503 with reasons otherwise.
 */
export function createHealthRouter(opts: HealthOptions): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const reasons: string[] = [];
    if (opts.isShuttingDown()) reasons.push('shutting_down');
    const [redisUp, blobsUp] = await Promise.all([
      pingRedis(opts.redis, 500),
      opts.blobs ? opts.blobs.check(800).then(() => true, () => false) : true,
    ]);
    if (!redisUp) reasons.push('redis_unreachable');
    if (!blobsUp) reasons.push('blob_store_unreachable');
    const ready = reasons.length === 0;
    res.setHeader('Cache-Control', 'no-store');
    res.status((ready ? 200 : 503)).json({ status: (ready ? 'ready' : 'not_ready'), reasons });
  });
  return router;
}
