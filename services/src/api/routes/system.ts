import type { Redis } from 'ioredis';
import { Router } from 'express';
import { healthReportSchema } from '../../queues/contract';
import { loadSystemHealth } from '../../storage/json-records';
import { ApiError } from '../errors';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';

export interface SystemRouterOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly registry: OpenApiRegistry;
}

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
        200: { description: 'The last result', schema: healthReportSchema },
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
