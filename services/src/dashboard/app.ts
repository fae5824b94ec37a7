import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Express } from 'express';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { errorHandler, notFoundHandler } from '../api/errors';
import { envDefault } from '../config/env';
import { appKeys } from '../lib/keys';
import { pingRedis, type RedisClient } from '../lib/redis';
import { registerQueueDepthGauge } from '../queues/queue-depth';
import type { Queues } from '../queues/queues';
import { basicAuth } from './basic-auth';
import { loginLimit } from './login-limit';
import { httpRouteNaming } from '../telemetry/http-route';

export interface DashboardOptions {
  readonly queues: Queues;
  /** The queues' connection; also answers /ready. */
  readonly redis: RedisClient;
  /** A request-role connection (fails fast while Redis is down) for the failed-login counts. @default redis */
  readonly loginRedis?: RedisClient;
  /** REDIS_KEY_PREFIX: the failed-login counts live under it. */
  readonly keyPrefix: string;
  readonly username: string;
  readonly password: string;
  /** Disables retry, add, duplicate, clean, remove, pause and every other mutating action; writable only by choice. @default true */
  readonly readOnly?: boolean;
  /** Sub-path behind a reverse proxy, e.g. `/queues`. @default '/' */
  readonly basePath?: string;
  /** Proxies in front whose X-Forwarded-For names the client (the login limit is per client IP). @default 0 */
  readonly trustProxyHops?: number;
  /** Failed logins per client IP per window before 429. @default DASHBOARD_LOGIN_MAX_FAILURES's default */
  readonly maxLoginFailures?: number;
  /** @default DASHBOARD_LOGIN_WINDOW_MS's default */
  readonly loginWindowMs?: number;
  /** @default RATE_LIMIT_FAIL_OPEN's default */
  readonly loginLimitFailOpen?: boolean;
  /** @default silent */
  readonly logger?: Logger;
}

/**
 * The queue dashboard: bull-board for every queue behind basic auth, failed logins limited per client
 * IP; /health, /ready and /metrics stay open at the root for the probes and Prometheus.
 */
export function createDashboardApp(opts: DashboardOptions): Express {
  const basePath = opts.basePath ?? '/';
  const logger = opts.logger ?? pino({ level: 'silent' });
  const app = express();
  app.disable('x-powered-by');
  app.use(httpRouteNaming());
  app.set('trust proxy', opts.trustProxyHops ?? 0);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerQueueDepthGauge(registry, opts.queues);

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const ok = await pingRedis(opts.redis);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath === '/' ? '' : basePath);
  createBullBoard({
    // @bull-board/express 9.10.1 pins its own copy of @bull-board/api (the root has 9.10.2): same shape,
    // separate declarations, so the types need a bridge.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    queues: Object.values(opts.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: opts.readOnly ?? true })),
    options: { uiConfig: { boardTitle: 'pca-agent' } },
  });
  app.use(
    basePath,
    basicAuth({
      username: opts.username,
      password: opts.password,
      gate: loginLimit({
        redis: opts.loginRedis ?? opts.redis,
        keyPrefix: appKeys(opts.keyPrefix).dashboardLoginFailures,
        maxFailures: opts.maxLoginFailures ?? envDefault('DASHBOARD_LOGIN_MAX_FAILURES'),
        windowMs: opts.loginWindowMs ?? envDefault('DASHBOARD_LOGIN_WINDOW_MS'),
        failOpen: opts.loginLimitFailOpen ?? envDefault('RATE_LIMIT_FAIL_OPEN'),
        logger,
      }),
      // who and how often, never what was typed: a user-name field often holds a password by mistake
      onFailure: (req, reason, v) => logger.warn({ client_ip: req.ip, reason, failures: v?.failures, max_failures: v?.maxFailures }, 'dashboard login failed'),
      onBlocked: (req, v) => logger.warn({ client_ip: req.ip, max_failures: v.maxFailures, retry_after_s: v.retryAfterSeconds }, 'dashboard login blocked: too many failed attempts'),
    }),
    // bull-board types its router as any.
    serverAdapter.getRouter() as express.Router,
  );
  app.use(notFoundHandler());
  app.use(errorHandler(logger));
  return app;
}
