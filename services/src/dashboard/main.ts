import { once } from 'node:events';
import { ConfigError, loadConfig } from '../config/env';
import { createHttpServer, httpServerLimits } from '../lib/http-server';
import { createLogger } from '../lib/logger';
import { closeRedis, createRedis } from '../lib/redis';
import { closeQueues, createQueues } from '../queues/queues';
import { shutdownTelemetry, tracedRequests } from '../telemetry/sdk';
import { SERVICE_NAMES } from '../telemetry/service-names';
import { createDashboardApp } from './app';

/** `main.js dashboard`: bull-board on DASHBOARD_PORT; refuses to start without credentials. */
export async function runDashboard(): Promise<number> {
  const cfg = loadConfig();
  const missing = (['DASHBOARD_USERNAME', 'DASHBOARD_PASSWORD'] as const).filter((v) => !cfg[v]);
  if (missing.length) {
    throw new ConfigError(missing.map((variable) => ({ variable, message: 'required: the dashboard never runs without authentication' })));
  }
  const logger = createLogger({ service: SERVICE_NAMES.dashboard, level: cfg.LOG_LEVEL });
  const redis = createRedis(cfg, 'worker', SERVICE_NAMES.dashboard);
  const loginRedis = createRedis(cfg, 'request', `${SERVICE_NAMES.dashboard}-login`);
  const queues = createQueues(cfg, redis);
  const app = createDashboardApp({
    queues,
    redis,
    loginRedis,
    keyPrefix: cfg.REDIS_KEY_PREFIX,
    username: cfg.DASHBOARD_USERNAME!,
    password: cfg.DASHBOARD_PASSWORD!,
    readOnly: cfg.DASHBOARD_READ_ONLY,
    basePath: cfg.DASHBOARD_BASE_PATH,
    trustProxyHops: cfg.TRUST_PROXY_HOPS,
    maxLoginFailures: cfg.DASHBOARD_LOGIN_MAX_FAILURES,
    loginWindowMs: cfg.DASHBOARD_LOGIN_WINDOW_MS,
    loginLimitFailOpen: cfg.RATE_LIMIT_FAIL_OPEN,
    logger,
  });
  const server = createHttpServer(tracedRequests(app), { ...httpServerLimits(cfg), logger });
  server.listen(cfg.DASHBOARD_PORT);
  await once(server, 'listening');
  logger.info({ port: cfg.DASHBOARD_PORT, base_path: cfg.DASHBOARD_BASE_PATH, read_only: cfg.DASHBOARD_READ_ONLY }, 'dashboard started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'dashboard shutting down');
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await closeQueues(queues);
  await closeRedis(loginRedis);
  await closeRedis(redis);
  await shutdownTelemetry(2000);
  return 0;
}
