import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { requireScope } from './gateway/auth';
import { chain } from './gateway/chain';
import { validate, type ValidatedInput } from './gateway/validate';
import { ApiError } from './errors';
import type { OpenApiRegistry, RouteSpec } from './openapi';
import { mediaType } from './gateway/media-type';
import { setHttpRoute } from '../telemetry/http-route';

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export type RouteHandler<S extends RouteSpec> = (
  input: ValidatedInput<Out<S['params']>, Out<S['query']>, Out<S['body']>>,
  req: Request,
  res: Response,
) => unknown;

/**
 * Defines a route once: registers it in the OpenAPI registry, labels it for metrics, checks its scope,
 * checks the body's media type, validates its input and hands the parsed input to the handler.
 */
export function defineRoute<const S extends RouteSpec>(router: Router, registry: OpenApiRegistry, spec: S, handler: RouteHandler<S>): void {
  registry.register(spec);
  const bodyType = spec.bodyType ?? 'application/json';
  // One layer per route (see chain.ts).
  router[spec.method](
    spec.path,
    chain([
      (req, res, next) => {
        res.locals.route = spec.path;
        setHttpRoute(spec.path);
        next();
      },
      ...(spec.scope ? [requireScope(spec.scope)] : []),
      (req, _res, next) => {
        const type = mediaType(req.headers['content-type']);
        if (spec.body && type && bodyType === 'multipart/form-data' && type !== bodyType) {
          return next(new ApiError(415, 'unsupported_media_type', `send the body as ${bodyType}`, [{ field: 'Content-Type', location: 'headers', message: `must be ${bodyType}` }]));
        }
        if (bodyType === 'application/json' && type === 'multipart/form-data') {
          return next(new ApiError(415, 'unsupported_media_type', 'send the body as application/json', [{ field: 'Content-Type', location: 'headers', message: 'must be application/json' }]));
        }
        next();
      },
      validate({ params: spec.params, query: spec.query, body: bodyType === 'application/json' ? spec.body : undefined }),
      async (req, res) => {
        await handler(res.locals.input as ValidatedInput<Out<S['params']>, Out<S['query']>, Out<S['body']>>, req, res);
      },
    ]),
  );
}
