import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

export interface RequestContextOptions {
  /** Sent as `X-Gateway-Version` on every response. */
  readonly version: string;
}

// An incoming id is echoed only when it is short and plain, so it cannot inject into logs or headers.
const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware: adopts a sane `X-Request-Id` or makes one, starts the gateway clock and stamps
 * `X-Request-Id`, `X-Gateway-Version` and `X-Process-Time` (ms, measured here) on every response,
 * including errors and 429s.
 */
export function requestContext(opts: RequestContextOptions): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = id;
    res.locals.startedAt = started;
    res.setHeader('X-Request-Id', id);
    res.setHeader('X-Gateway-Version', opts.version);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with res as this
    const writeHead = res.writeHead;
    // The time goes out with the headers, so it is stamped at the last moment headers can change.
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
      if (!this.headersSent) this.setHeader('X-Process-Time', elapsedMs(started).toFixed(2));
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  };
}

export function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Names the route template of a finished request: a bounded label for metrics, stats and logs. */
export type RouteLabeler = (req: Request, res: Response) => string;

/**
 * The template that served the request; else the one it was headed for (`fallback`, for requests
 * refused before routing); else "unmatched". Never the raw URL.
 */
export function routeLabeler(fallback: (method: string, path: string) => string | undefined = () => undefined): RouteLabeler {
  return (req, res) => {
    if (res.locals.route !== undefined) return res.locals.route;
    const route = req.route as { path?: unknown } | undefined;
    const label = route && typeof route.path === 'string' ? `${req.baseUrl}${route.path}` : (fallback(req.method, req.path) ?? 'unmatched');
    // Metrics, stats and the access log all ask once the response is done: compute it once.
    res.locals.route = label;
    return label;
  };
}

/** Runs `fn` once when the response is done: finished normally, or the client went away (status 499). */
export function onResponseDone(res: Response, fn: (status: number) => void): void {
  let done = false;
  const once = (status: number) => {
    if (done) return;
    done = true;
    fn(status);
  };
  res.once('finish', () => once(res.statusCode));
  res.once('close', () => once(res.writableFinished ? res.statusCode : 499));
}
