import type { RequestHandler } from 'express';
import type { ApiMetrics } from '../metrics';
import { elapsedMs, onResponseDone, type RouteLabeler } from './request-context';

/** Observes every request into the app's prom-client registry (duration, 429s, auth failures). */
export function recordMetrics(metrics: ApiMetrics, routeLabel: RouteLabeler): RequestHandler {
  return (req, res, next) => {
    onResponseDone(res, (status) => {
      const seconds = elapsedMs(res.locals.startedAt!) / 1000;
      metrics.httpDuration.observe({ method: req.method, route: routeLabel(req, res), status_code: String(status) }, seconds);
      if (res.locals.rateLimited) metrics.rateLimited.inc();
      if (res.locals.authFailure) metrics.authFailures.inc({ reason: res.locals.authFailure });
    });
    next();
  };
}
