import type { Router } from 'express';
import type { RedisClient } from '../../lib/redis';
import type { Config } from '../../config/env';
import type { Queues } from '../../queues/queues';
import type { Stores } from '../../storage/stores';
import type { OpenApiRegistry } from '../openapi';
import { createReportsRouter } from './reports';
import { createSystemRouter } from './system';
import { createTasksRouter } from './tasks';
import { createUploadsRouter } from './uploads';

/** What the task routers need; app.ts passes its context (this module does not know the app). */
export interface TaskRoutersOptions {
  readonly config: Config;
  readonly redis: RedisClient;
  readonly queues: Queues;
  readonly stores: Stores;
  readonly registry: OpenApiRegistry;
}

/** The background-task routers (tasks, uploads, reports, system health). */
export function createTaskRouters(ctx: TaskRoutersOptions): Router[] {
  const cfg = ctx.config;
  return [
    createTasksRouter({ queues: ctx.queues, registry: ctx.registry }),
    createUploadsRouter({ queues: ctx.queues, uploads: ctx.stores.uploads, registry: ctx.registry, maxBytes: cfg.UPLOAD_MAX_BYTES }),
    createReportsRouter({
      queues: ctx.queues,
      artifacts: ctx.stores.artifacts,
      registry: ctx.registry,
      downloadMode: cfg.REPORT_DOWNLOAD_MODE,
      presignSeconds: cfg.REPORT_PRESIGN_SECONDS,
    }),
    createSystemRouter({ redis: ctx.redis, prefix: cfg.REDIS_KEY_PREFIX, registry: ctx.registry }),
  ];
}
