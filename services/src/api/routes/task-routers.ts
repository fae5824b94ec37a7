import type { Router } from 'express';
import { ArtifactStore } from '../../storage/artifact-store';
import { UploadStore } from '../../storage/upload-store';
import type { ApiContext } from '../context';
import { createReportsRouter } from './reports';
import { createSystemRouter } from './system';
import { createTasksRouter } from './tasks';
import { createUploadsRouter } from './uploads';

/** The background-task routers (tasks, uploads, reports, system health), built from the app context. */
export function createTaskRouters(ctx: ApiContext): Router[] {
  const cfg = ctx.config;
  const prefix = cfg.REDIS_KEY_PREFIX;
  const artifacts = new ArtifactStore(ctx.redis, prefix, { retentionDays: cfg.REPORT_RETENTION_DAYS, maxBytes: cfg.REPORT_MAX_BYTES });
  const uploads = new UploadStore(ctx.redis, prefix, { maxBytes: cfg.UPLOAD_MAX_BYTES, ttlSeconds: cfg.UPLOAD_TTL_SECONDS });
  return [
    createTasksRouter({ queues: ctx.queues, registry: ctx.registry }),
    createUploadsRouter({ queues: ctx.queues, uploads, registry: ctx.registry, maxBytes: cfg.UPLOAD_MAX_BYTES }),
    createReportsRouter({ queues: ctx.queues, artifacts, registry: ctx.registry }),
    createSystemRouter({ redis: ctx.redis, prefix, registry: ctx.registry }),
  ];
}
