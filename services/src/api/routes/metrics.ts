import { Router } from 'express';
import type { ApiMetrics } from '../../metrics/api-metrics';

/** `/metrics`: Prometheus text exposition of this app's registry (public, not rate limited). */
export function createMetricsRouter(metrics: ApiMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
