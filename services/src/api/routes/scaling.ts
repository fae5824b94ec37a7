import { Router } from 'express';
import type { RedisClient } from '../../lib/redis';
import { PENDING_WORK_PATH, QUEUE_NAMES, type QueueName } from '../../queues/contract';
import { pendingWork } from '../../queues/queue-depth';
import type { Queues } from '../../queues/queues';
import { ApiError } from '../errors';

/** Delayed jobs due within this count as pending now: about one KEDA polling interval ahead. */
export const PENDING_HORIZON_MS = 15_000;


/**
 * `GET /scaling/pending/{queue}`: prioritized and due delayed jobs, for KEDA's metrics-api trigger
 * (`valueLocation: value`). Public like /metrics (counts only), so the autoscaler needs no credentials.
 */
export function createScalingRouter(deps: { readonly redis: RedisClient; readonly queues: Queues; readonly now: () => Date }): Router {
  const router = Router();
  router.get(`${PENDING_WORK_PATH}:queue`, async (req, res) => {
    const name = req.params.queue;
    if (!(QUEUE_NAMES as string[]).includes(name)) {
      throw new ApiError(404, 'not_found', `unknown queue "${name}" (known: ${QUEUE_NAMES.join(', ')})`);
    }
    res.json(await pendingWork(deps.redis, deps.queues[name as QueueName], deps.now().getTime(), PENDING_HORIZON_MS));
  });
  return router;
}
