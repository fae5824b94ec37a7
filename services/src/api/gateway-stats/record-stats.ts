import type { GatewayStats } from './gateway-stats';
import type { ResponseObserver } from '../gateway/observe';
import { elapsedMs, type RouteLabeler } from '../gateway/request-context';

/** Counts every request into the deployment-wide gateway stats (in memory; flushed in batches). */
export function recordStats(stats: GatewayStats, routeLabel: RouteLabeler): ResponseObserver {
  return {
    done: (req, res, status) =>
      stats.record({
        method: req.method,
        route: routeLabel(req, res),
        status,
        durationMs: elapsedMs(res.locals.startedAt!),
        rateLimited: res.locals.rateLimited === true,
        authFailure: res.locals.authFailure !== undefined,
      }),
  };
}
