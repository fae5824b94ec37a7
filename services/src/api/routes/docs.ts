import { Router, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { CspDirectives } from '../gateway/security';
import type { OpenApiRegistry } from '../openapi';

export interface DocsOptions {
  readonly registry: OpenApiRegistry;
  readonly version: string;
}

/** Where Swagger UI lives; app.ts gives this path {@link DOCS_CSP}. */
export const DOCS_PATH = '/api/docs';

/**
 * What the Swagger UI page needs and nothing more: its own scripts, its inline styles (React sets
 * style attributes), data: images and fonts, and fetches to its own origin (the document and
 * "Try it out"). No third party: the online validator badge is off.
 */
export const DOCS_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

/**
 * `/api/openapi.json` (OpenAPI 3.1, generated from the registered zod schemas) and `/api/docs`
 * (Swagger UI over it). Every URL the page uses is relative, so it works unchanged on any host,
 * over HTTP or HTTPS, and under a sub-path that an ingress strips (`/pca/api/docs` → `/api/docs`):
 * the page loads `../openapi.json`, whose server `..` resolves against the document's own URL. The
 * document is built on first request, after every router has registered.
 */
export function createDocsRouter(opts: DocsOptions): Router {
  const router = Router();
  let doc: Record<string, unknown> | undefined;
  const document = () =>
    (doc ??= opts.registry.document(
      {
        title: 'pca-agent API',
        version: opts.version,
        description: 'Campaign analytics: campaigns and KPIs, suggested questions, asynchronous reports and uploads.',
      },
      [{ url: '..', description: 'this API' }],
    ));
  router.get('/api/openapi.json', (_req, res) => {
    res.json(document());
  });
  // A relative redirect keeps an ingress's path prefix (serve-static would send an absolute `/api/docs/`).
  router.get(DOCS_PATH, (req, res, next) => {
    if (req.path !== DOCS_PATH) return next();
    const query = req.originalUrl.indexOf('?');
    res.redirect(301, `docs/${query >= 0 ? req.originalUrl.slice(query) : ''}`);
  });
  const page = swaggerUi.setup(undefined, {
    customSiteTitle: 'pca-agent API',
    swaggerUrl: '../openapi.json',
    swaggerOptions: { validatorUrl: null },
  });
  router.use(
    DOCS_PATH,
    ((_req, res, next) => {
      res.locals.route = DOCS_PATH;
      next();
    }) satisfies RequestHandler,
    ...(swaggerUi.serve),
    ((req, res, next) => (req.path === '/' ? page(req, res, next) : next())) satisfies RequestHandler,
  );
  return router;
}
