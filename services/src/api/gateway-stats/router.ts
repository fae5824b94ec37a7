import { Router } from 'express';
import { z } from 'zod';
import type { GatewayStats } from './gateway-stats';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';

const statsSchema = z.object({
  scope: z.literal('deployment'),
  requests: z.object({
    total: z.number().int(),
    by_status_class: z.record(z.string(), z.number().int()),
    by_route: z.record(z.string(), z.number().int()).describe('keyed "METHOD /route/template"'),
  }),
  rate_limited: z.number().int(),
  auth_failures: z.number().int(),
  latency: z.object({ window_minutes: z.number().int(), count: z.number().int(), mean_ms: z.number().nullable(), p95_ms: z.number().nullable() }),
  instance: z.object({ id: z.string(), version: z.string(), started_at: z.string(), uptime_seconds: z.number().int() }),
});

/** `GET /gateway/stats`: deployment-wide counters from Redis plus this instance's uptime and version. */
export function createGatewayStatsRouter(opts: { stats: GatewayStats; registry: OpenApiRegistry }): Router {
  const router = Router();
  defineRoute(
    router,
    opts.registry,
    {
      method: 'get',
      path: '/gateway/stats',
      summary: 'Gateway counters for the whole deployment',
      description: 'Totals since the prefix was created; latency mean and p95 over the last minutes. Other instances report within ~1 s.',
      tags: ['gateway'],
      scope: 'read',
      responses: { 200: { description: 'Counters', schema: statsSchema } },
    },
    async (_input, _req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await opts.stats.read());
    },
  );
  return router;
}
