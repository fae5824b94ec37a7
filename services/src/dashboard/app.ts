import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { pingRedis } from '../lib/redis';
import { registerQueueDepthGauge } from '../queues/queue-depth';
import type { Queues } from '../queues/queues';
import { basicAuth } from './basic-auth';

export interface DashboardOptions {
  readonly queues: Queues;
  readonly redis: Redis;
  readonly username: string;
  readonly password: string;
  /** Disables retry, clean, remove, pause and every other mutating action. @default false */
  readonly readOnly?: boolean;
  /** Sub-path behind a reverse proxy, e.g. `/queues`. @default '/' */
  readonly basePath?: string;
}

/**
 * The queue dashboard: bull-board for every queue behind basic auth; /health, /ready and /metrics stay
 * open at the root for the probes and Prometheus.
 */
export function createDashboardApp(opts: DashboardOptions): Express {
  const basePath = opts.basePath ?? '/';
  const app = express();
  app.disable('x-powered-by');
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
    queues: Object.values(opts.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: opts.readOnly ?? false })),
    options: { uiConfig: { boardTitle: 'pca-agent' } },
  });
  app.use(basePath, basicAuth({ username: opts.username, password: opts.password }), serverAdapter.getRouter());
  return app;
}
