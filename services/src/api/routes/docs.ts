import { Router, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { OpenApiRegistry } from '../openapi';

export interface DocsOptions {
  readonly registry: OpenApiRegistry;
  readonly version: string;
}

/**
 * `/api/openapi.json` (OpenAPI 3.1, generated from the registered zod schemas) and `/api/docs`
 * (Swagger UI over it). The document is built on first request, after every router has registered.
 */
export function createDocsRouter(opts: DocsOptions): Router {
  const router = Router();
  let doc: Record<string, unknown> | undefined;
  const document = () =>
    (doc ??= opts.registry.document({
      title: 'pca-agent API',
      version: opts.version,
      description: 'Campaign analytics: campaigns and KPIs, suggested questions, asynchronous reports and uploads.',
    }));
  router.get('/api/openapi.json', (_req, res) => {
    res.json(document());
  });
  let ui: RequestHandler | undefined;
  router.use(
    '/api/docs',
    ((_req, res, next) => {
      res.locals.route = '/api/docs';
      next();
    }) satisfies RequestHandler,
    ...(swaggerUi.serve as RequestHandler[]),
    ((req, res, next) => (ui ??= swaggerUi.setup(document(), { customSiteTitle: 'pca-agent API' }) as unknown as RequestHandler)(req, res, next)) satisfies RequestHandler,
  );
  return router;
}
