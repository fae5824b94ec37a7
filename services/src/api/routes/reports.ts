import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { REPORT_FORMATS, REPORT_JOBS, reportRequestSchema, TASK_ID_PATTERN } from '../../queues/contract';
import { enqueue, type Queues } from '../../queues/queues';
import type { ArtifactStore } from '../../storage/artifact-store';
import { ApiError } from '../errors';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';
import { accepted, statusUrl, taskAcceptedSchema } from './tasks';

export interface ReportsRouterOptions {
  readonly queues: Queues;
  readonly artifacts: ArtifactStore;
  readonly registry: OpenApiRegistry;
  /** stream: the API streams the bytes from the blob store; redirect: 302 to a presigned URL. @default 'stream' */
  readonly downloadMode?: 'stream' | 'redirect';
  /** Lifetime of a presigned URL. @default 300 */
  readonly presignSeconds?: number;
}

const TAGS = ['reports'];

/** Report generation (JSON, PDF, XLSX) as tasks, and the download of their artifacts. */
export function createReportsRouter(opts: ReportsRouterOptions): Router {
  const { queues, artifacts, registry } = opts;
  const downloadMode = opts.downloadMode ?? 'stream';
  const presignSeconds = opts.presignSeconds ?? 300;
  const router = Router();

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/api/v1/reports',
      summary: 'Generate a report file',
      description:
        'Queues the report job for the format (json: generate_campaign_report, pdf: generate_pdf_report, xlsx: generate_excel_report) over the filters or inline campaigns. The completed task\'s result carries report_id and download_url.',
      tags: TAGS,
      scope: 'write',
      body: reportRequestSchema,
      responses: {
        202: { description: 'Queued', schema: taskAcceptedSchema.extend({ format: z.enum(REPORT_FORMATS) }), headers: { Location: 'the status URL' } },
      },
    },
    async ({ body }, _req, res) => {
      const { format, ...input } = body;
      const job = await enqueue(queues, REPORT_JOBS[format], input);
      res.status(202).location(statusUrl(job.id!)).json({ ...accepted(job), format });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/api/v1/reports/:report_id',
      summary: 'Download a report',
      description:
        'The artifact with its Content-Type and an attachment Content-Disposition, streamed from the blob store; with REPORT_DOWNLOAD_MODE=redirect a 302 to a short-lived presigned URL instead. 404 once cleaned up (REPORT_RETENTION_DAYS).',
      tags: TAGS,
      scope: 'read',
      params: z.strictObject({ report_id: z.string().regex(TASK_ID_PATTERN, 'a report id such as rpt_…') }),
      responses: {
        200: { description: 'The file (application/json, application/pdf or XLSX)', contentType: 'application/octet-stream', schema: z.string() },
        302: { description: 'REPORT_DOWNLOAD_MODE=redirect: the presigned URL of the file', headers: { Location: 'the presigned URL' } },
        404: { description: 'No such report, or it was removed after the retention' },
      },
    },
    async ({ params }, _req, res) => {
      const missing = () => new ApiError(404, 'report_not_found', `no report with id ${params.report_id} (it may have expired)`);
      if (downloadMode === 'redirect') {
        const meta = await artifacts.getMeta(params.report_id);
        const url = meta && (await artifacts.presignedUrl(meta, presignSeconds));
        if (!url) throw missing();
        res.status(302).set({ Location: url, 'Cache-Control': 'private, max-age=0, no-store' }).end();
        return;
      }
      const artifact = await artifacts.open(params.report_id);
      if (!artifact) throw missing();
      const { meta, body } = artifact;
      res.status(200).set({
        'Content-Type': meta.content_type,
        'Content-Length': String(meta.size_bytes),
        'Content-Disposition': `attachment; filename="${meta.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        'Cache-Control': 'private, max-age=0, no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      // Headers are out: a store failure mid-body can only cut the connection (the client sees a short body).
      await pipeline(body, res).catch(() => res.destroy());
    },
  );
  return router;
}
