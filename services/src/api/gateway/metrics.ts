import type { ApiMetrics } from '../../metrics/api-metrics';
import type { ResponseObserver } from './observe';
import type { RouteLabeler } from './request-context';

/** Observes every request into the app's prom-client registry (duration, 429s, auth failures, in flight). */
export function recordMetrics(metrics: ApiMetrics, routeLabel: RouteLabeler): ResponseObserver {
  // One child per label set, found by a string key: prom-client hashes the label object on every observe.
  // Bounded: routes are templates, methods and statuses few.
  const durations = new Map<string, { observe(seconds: number): void }>();
  const durationOf = (method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let child = durations.get(key);
    if (!child) durations.set(key, (child = metrics.httpDuration.labels(method, route, String(status))));
    return child;
  };
  return {
    start: () => metrics.inFlight.inc(),
    done: (req, res, status, durationMs) => {
      metrics.inFlight.dec();
      durationOf(req.method, routeLabel(req, res), status).observe(durationMs / 1000);
      if (res.locals.rateLimited) metrics.rateLimited.inc();
      if (res.locals.authFailure) metrics.authFailures.inc({ reason: res.locals.authFailure });
    },
  };
}
