import type { Logger } from 'pino';
import type { ResponseObserver } from './observe';
import { routeLabeler, type RouteLabeler } from './request-context';

export interface AccessLogOptions {
  readonly logger: Logger;
  /** @default routeLabeler() */
  readonly routeLabel?: RouteLabeler;
  /** Paths logged at debug instead of info (probes and scraping would drown the log). @default ['/health', '/ready', '/metrics'] */
  readonly quietPaths?: readonly string[];
}

/**
 * One JSON line per request: method, route template, path, status, duration, request id. Headers,
 * query strings and bodies are never logged, so keys and tokens cannot leak into logs.
 */
export function accessLog(opts: AccessLogOptions): ResponseObserver {
  const quiet = new Set(opts.quietPaths ?? ['/health', '/ready', '/metrics']);
  const routeLabel = opts.routeLabel ?? routeLabeler();
  // The line's fields are fixed and hold no credentials, so the logger's redaction pass (half the cost of
  // a line) is skipped for it.
  const logger = opts.logger.child({}, { redact: [] });
  return {
    done: (req, res, status, durationMs) => {
      // The path as it arrived (a mounted router sees req.path without its mount point).
      const q = req.originalUrl.indexOf('?');
      const path = q < 0 ? req.originalUrl : req.originalUrl.slice(0, q);
      const line = {
        request_id: res.locals.requestId,
        method: req.method,
        route: routeLabel(req, res),
        path,
        status,
        duration_ms: Number(durationMs.toFixed(2)),
      };
      if (status >= 500) logger.warn(line, 'request');
      else if (quiet.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    },
  };
}
