import type { GatewayStats } from './gateway-stats';
import type { ResponseObserver } from '../gateway/observe';
import type { RouteLabeler } from '../gateway/request-context';

/** Counts every request into the deployment-wide gateway stats (in memory; flushed in batches). */
export function recordStats(stats: GatewayStats, routeLabel: RouteLabeler): ResponseObserver {
  return {
    done: (req, res, status, durationMs) =>
      stats.record({
        method: req.method,
        route: routeLabel(req, res),
        status,
        durationMs,
        rateLimited: res.locals.rateLimited === true,
        authFailure: res.locals.authFailure !== undefined,
      }),
  };
}
