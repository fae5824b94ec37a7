import type { RequestHandler } from 'express';
import type { GatewayStats } from '../gateway-stats';
import { elapsedMs, onResponseDone, type RouteLabeler } from './request-context';

/** Counts every request into the deployment-wide gateway stats (in memory; flushed in batches). */
export function recordStats(stats: GatewayStats, routeLabel: RouteLabeler): RequestHandler {
  return (req, res, next) => {
    onResponseDone(res, (status) =>
      stats.record({
        method: req.method,
        route: routeLabel(req, res),
        status,
        durationMs: elapsedMs(res.locals.startedAt!),
        rateLimited: res.locals.rateLimited === true,
        authFailure: res.locals.authFailure !== undefined,
      }),
    );
    next();
  };
}
