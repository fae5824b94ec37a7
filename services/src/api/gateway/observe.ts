import type { Request, RequestHandler, Response } from 'express';
import { elapsedMs, onResponseDone } from './request-context';

/** One observation of every request: metrics, stats, the access log. */
export interface ResponseObserver {
  /** When the request arrives, before anything answers it. */
  readonly start?: (req: Request, res: Response) => void;
  /**
   * Once, when the response is done (finished, or 499 when the client went away), with its duration:
   * measured once, so the metrics, the stats and the log report the same latency.
   */
  readonly done: (req: Request, res: Response, status: number, durationMs: number) => void;
}

/**
 * Runs every observer on one pair of response listeners, in order: the gateway observes each request
 * three ways, and a middleware and two listeners per observer was a measurable share of a request.
 */
export function observeResponses(observers: readonly ResponseObserver[]): RequestHandler {
  const starts = observers.flatMap((o) => (o.start ? [o.start] : []));
  const dones = observers.map((o) => o.done);
  return (req, res, next) => {
    for (const start of starts) start(req, res);
    onResponseDone(res, (status) => {
      const durationMs = elapsedMs(res.locals.startedAt!);
      for (const done of dones) done(req, res, status, durationMs);
    });
    next();
  };
}
