import type { RedisClient } from '../../lib/redis';
import { Router } from 'express';
import { z } from 'zod';
import { loadSystemHealth } from '../../storage/json-records';
import { ApiError } from '../errors';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';

export interface SystemRouterOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly registry: OpenApiRegistry;
}

const queueHealth = z.object({
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  failed: z.number().int(),
  failed_last_hour: z.number().int(),
  oldest_waiting_seconds: z.number().nullable(),
  workers: z.number().int(),
});
const healthSchema = z.object({
  status: z.enum(['ok', 'fail']),
  checked_at: z.string(),
  redis: z.object({
    latency_ms: z.number(),
    used_memory_bytes: z.number().int(),
    maxmemory_bytes: z.number().int().describe('0: no maxmemory set'),
    memory_used_percent: z.number().nullable().describe('used / maxmemory: the headroom before writes and enqueues fail (noeviction)'),
  }),
  queues: z.record(z.string(), queueHealth),
  thresholds: z.record(z.string(), z.number()),
  failures: z.array(z.string()),
});

/** The last result of the scheduled health_check task. */
export function createSystemRouter(opts: SystemRouterOptions): Router {
  const router = Router();
  defineRoute(
    router,
    opts.registry,
    {
      method: 'get',
      path: '/api/v1/system/health',
      summary: 'Last background health check',
      description: 'Redis latency and memory headroom, and per queue backlog, oldest waiting job, failures in the last hour and workers, as the health_check task last measured them.',
      tags: ['system'],
      scope: 'read',
      responses: {
        200: { description: 'The last result', schema: healthSchema },
        404: { description: 'No health check has run yet (or its result expired after a day)' },
      },
    },
    async (_input, _req, res) => {
      const report = await loadSystemHealth(opts.redis, opts.prefix);
      if (!report) throw new ApiError(404, 'no_health_check', 'no health check has run yet: it runs every 5 minutes (task health_check)');
      res.json(report);
    },
  );
  return router;
}
