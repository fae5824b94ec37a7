import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs handlers in order as one Express layer: each one's `next()` calls the following one, `next(err)`
 * or a thrown error or rejected promise (as Express 5 treats an async handler's) goes to Express's error
 * path, and the last one's `next()` continues with the app. Every layer the router walks costs CPU
 * (matching, `next` bookkeeping, restoring `req` state); as separate layers, the gateway's eight
 * middleware and a route's five steps were a dozen of them on every request.
 * Not for handlers that call `next('route')` or `next('router')` (none of the gateway's do).
 */
export function chain(handlers: readonly RequestHandler[]): RequestHandler {
  if (handlers.length === 1) return handlers[0]!;
  return (req: Request, res: Response, next: NextFunction) => {
    let i = 0;
    const fail = (err: unknown) => next(err ?? new Error('a request handler failed without a reason'));
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        const out = handler(req, res, step);
        if (out instanceof Promise) out.then(undefined, fail);
      } catch (e) {
        fail(e);
      }
    };
    step();
  };
}
