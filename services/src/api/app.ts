import express, { type Express, type Request } from 'express';
import { appKeys } from '../lib/keys';
import { closeQueues, createQueues } from '../queues/queues';
import { createStores } from '../storage/stores';
import { errorHandler, notFoundHandler } from './errors';
import { accessLog } from './gateway/access-log';
import { chain } from './gateway/chain';
import { observeResponses } from './gateway/observe';
import { authenticate } from './gateway/auth';
import { jsonBody } from './gateway/body';
import { recordMetrics } from './gateway/metrics';
import { rateLimitGateway } from './gateway/rate-limit';
import { requestContext, routeLabeler } from './gateway/request-context';
import { securityHeaders } from './gateway/security';
import { recordStats } from './gateway-stats/record-stats';
import { GatewayStats } from './gateway-stats/gateway-stats';
import { createApiMetrics, type ApiMetrics } from '../metrics/api-metrics';
import { OpenApiRegistry } from './openapi';
import { createCampaignsRouter } from './routes/campaigns';
import { createDocsRouter, DOCS_CSP, DOCS_PATH } from './routes/docs';
import { createGatewayStatsRouter } from './gateway-stats/router';
import { createHealthRouter } from './routes/health';
import { createMetricsRouter } from './routes/metrics';
import { createScalingRouter } from './routes/scaling';
import { PENDING_WORK_PATH } from '../queues/contract';
import { createTaskRouters } from './routes/task-routers';
import { packageVersion } from '../lib/package-version';
import type { ApiContext, AppDeps } from './context';

export type { ApiContext, AppDeps };

export interface ApiApp {
  readonly app: Express;
  readonly context: ApiContext;
  readonly metrics: ApiMetrics;
  readonly stats: GatewayStats;
  /** Readiness answers 503 from now on; the app keeps serving everything else. */
  beginShutdown(): void;
  isShuttingDown(): boolean;
  /** Flushes the gateway stats and stops their timer; safe to call twice. Does not close Redis. */
  close(): Promise<void>;
}

/** Paths served without credentials. */
const PUBLIC = new Set(['/health', '/ready', '/metrics', '/api/openapi.json']);
const isPublic = (req: Request) =>
  PUBLIC.has(req.path) || req.path === DOCS_PATH || req.path.startsWith(`${DOCS_PATH}/`) || req.path.startsWith(PENDING_WORK_PATH);

/**
 * Builds the Express app (no listen). Middleware runs top to bottom in this order: request id and
 * gateway headers, observation (metrics, stats, access log: they record when the response ends, so they
 * see 429s and 401s too), security headers and CORS, rate limit, authentication, JSON body, routes
 * (each validates its own input), JSON 404, the one error handler.
 */
export function createApp(deps: AppDeps): ApiApp {
  const { config, redis, logger } = deps;
  const now = deps.now ?? (() => new Date());
  // The list endpoint is the hot path: its held pages are checked against an in-memory store version.
  const stores = deps.stores ?? createStores(redis, config, { now, trackCampaignVersion: true });
  const context: ApiContext = {
    ...deps,
    stores,
    store: stores.campaigns,
    now,
    version: deps.version ?? packageVersion(),
    registry: new OpenApiRegistry(),
    queues: deps.queues ?? createQueues(config, redis),
  };
  const metrics = createApiMetrics({
    redis,
    prefix: config.REDIS_KEY_PREFIX,
    queues: context.queues,
    backupLastSuccess: async () => {
      const raw = await redis.get(appKeys(config.REDIS_KEY_PREFIX).backupLastSuccess);
      return raw ? Date.parse((JSON.parse(raw) as { at: string }).at) / 1000 : null;
    },
  });
  const stats = new GatewayStats({
    redis,
    prefix: config.REDIS_KEY_PREFIX,
    version: context.version,
    logger,
    flushIntervalMs: config.STATS_FLUSH_INTERVAL_MS,
    windowMinutes: config.STATS_WINDOW_MINUTES,
  });
  let shuttingDown = false;

  const app = express();
  // Exactly the number of proxies in front of us: at 0, X-Forwarded-For from a client is ignored.
  app.set('trust proxy', config.TRUST_PROXY_HOPS);
  app.set('x-powered-by', false);
  app.set('etag', false);

  const routeLabel = routeLabeler((method, path) => context.registry.templateFor(method, path));
  // The gateway, as one layer (see chain.ts).
  app.use(
    chain([
      requestContext({ version: context.version }),
      observeResponses([recordMetrics(metrics, routeLabel), recordStats(stats, routeLabel), accessLog({ logger, routeLabel })]),
      ...securityHeaders({ corsOrigins: config.CORS_ORIGINS, pages: [{ path: DOCS_PATH, csp: DOCS_CSP }] }),
      rateLimitGateway({
        redis,
        keyPrefix: appKeys(config.REDIS_KEY_PREFIX).rateLimit,
        limit: config.RATE_LIMIT_PER_MINUTE,
        windowMs: config.RATE_LIMIT_WINDOW_MS,
        failOpen: config.RATE_LIMIT_FAIL_OPEN,
        trustProxyHops: config.TRUST_PROXY_HOPS,
        logger,
      }),
      authenticate({
        apiKeys: config.API_KEYS,
        readOnlyApiKeys: config.API_KEYS_READ_ONLY,
        jwtSecret: config.JWT_SECRET,
        jwtPublicKey: config.JWT_PUBLIC_KEY,
        jwtIssuer: config.JWT_ISSUER,
        jwtAudience: config.JWT_AUDIENCE,
        isPublic,
      }),
      jsonBody({ limitBytes: config.BODY_LIMIT_BYTES }),
    ]),
  );

  // Built in the order the OpenAPI document lists them; mounted with the API's own routes first, since
  // the router walks every router before the one that matches and probes and scrapes are a few a minute.
  const system = [
    createHealthRouter({ redis, blobs: stores.blobs, isShuttingDown: () => shuttingDown }),
    createMetricsRouter(metrics),
    createScalingRouter(context),
    createGatewayStatsRouter({ stats, registry: context.registry }),
  ];
  const resources = [createCampaignsRouter(context), ...createTaskRouters(context)];
  const docs = createDocsRouter({ registry: context.registry, version: context.version });
  app.use(...resources, ...system, docs);

  app.use(notFoundHandler());
  app.use(errorHandler(logger));

  return {
    app,
    context,
    metrics,
    stats,
    beginShutdown: () => {
      shuttingDown = true;
    },
    isShuttingDown: () => shuttingDown,
    close: async () => {
      await stats.close();
      if (!deps.queues) await closeQueues(context.queues);
      if (!deps.stores) await stores.close();
    },
  };
}
