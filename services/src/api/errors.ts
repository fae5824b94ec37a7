import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { traceUnsampledFailure } from '../telemetry/spans';

/** One bad input: `field` is the dotted path inside `location` (`body`, `query`, `params`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
  readonly location?: 'body' | 'query' | 'params' | 'headers';
}

/**
 * The only error routes throw on purpose. The error handler turns it into an RFC 9457
 * `application/problem+json` response; anything else becomes a logged 500.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: readonly FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail);
    this.name = this.constructor.name;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly request_id: string | undefined;
  readonly errors?: readonly FieldError[];
}

export function problemBody(req: Request, res: Response, err: ApiError): Problem {
  return {
    type: `urn:pca-agent:problem:${err.code}`,
    title: TITLES[err.status] ?? 'Error',
    status: err.status,
    detail: err.detail,
    instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
    request_id: res.locals.requestId,
    ...(err.errors?.length ? { errors: err.errors } : {}),
  };
}

/** Writes one problem response; every error path (handler, rate limit, auth) ends here. */
export function sendProblem(req: Request, res: Response, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
  res.status(err.status).type('application/problem+json').send(JSON.stringify(problemBody(req, res, err)));
}

const REDIS_DOWN = [
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Command timed out/i,
  /max retries per request/i,
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)\b/,
  /^(LOADING|MASTERDOWN|READONLY)\b/,
];

/** True for errors that mean "Redis is not answering right now", as opposed to a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return REDIS_DOWN.some((re) => re.test(err.message));
}

export const redisUnavailable = () =>
  new ApiError(503, 'redis_unavailable', 'the data store is not reachable; retry shortly', undefined, { 'Retry-After': '5' });

/** JSON 404 for any path no route matched. */
export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new ApiError(404, 'not_found', `no route for ${req.method} ${req.path}`));
}

/**
 * The one error handler: ApiError as is, Redis outages as a fast 503, anything else as a 500 that is
 * logged with the request id (and never shows its stack to the client).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof ApiError) return sendProblem(req, res, err);
    const failed = (status: number, message: string) => {
      // An unsampled request that fails still reaches the trace backend, as one span.
      const route = res.locals.route ?? 'unmatched';
      traceUnsampledFailure(trace.getActiveSpan(), {
        name: `${req.method} ${route}`,
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route, 'http.response.status_code': status },
        message,
      });
    };
    if (isRedisUnavailable(err)) {
      logger.warn({ request_id: res.locals.requestId, reason: (err as Error).message }, 'redis unavailable');
      failed(503, (err as Error).message);
      return sendProblem(req, res, redisUnavailable());
    }
    logger.error({ err, request_id: res.locals.requestId, method: req.method, route: res.locals.route }, 'unhandled error');
    failed(500, err instanceof Error ? err.message : String(err));
    sendProblem(req, res, new ApiError(500, 'internal', 'an unexpected error occurred; quote the request id when reporting it'));
  };
}
