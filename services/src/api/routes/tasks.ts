import { Router } from 'express';
import { z } from 'zod';
import type { Job } from 'bullmq';
import { JOB_NAMES, reportInputSchema, RESULTS, TASK_ID_PATTERN, type JobName, type QueueName, type ResultOf } from '../../queues/contract';
import { enqueue, findJob, type Queues } from '../../queues/queues';
import { ApiError } from '../errors';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';

export interface TasksRouterOptions {
  readonly queues: Queues;
  readonly registry: OpenApiRegistry;
}

export const TASK_STATUSES = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const;
type TaskStatus = (typeof TASK_STATUSES)[number];

export const taskIdSchema = z.string().regex(TASK_ID_PATTERN, 'letters, digits, _ and - only, 1 to 64 characters');

export const taskAcceptedSchema = z.object({
  task_id: z.string(),
  name: z.string(),
  status: z.enum(TASK_STATUSES),
  status_url: z.string().describe('GET it to follow the task'),
});

const taskBase = z.object({
  task_id: z.string(),
  status: z.enum(TASK_STATUSES),
  progress: z.union([z.number(), z.record(z.string(), z.unknown())]).describe('0-100, or counters such as rows_read'),
  error: z.string().nullable().describe('why it failed, once failed'),
  attempts: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

const taskVariant = (name: JobName) =>
  taskBase.extend({ name: z.literal(name), result: RESULTS[name].nullable().describe('the job result once completed') });

/** One variant per job name, each with that job's result schema from the contract. */
const [firstVariant, ...otherVariants] = JOB_NAMES.map(taskVariant);
const taskSchema = z.discriminatedUnion('name', [firstVariant!, ...otherVariants]);
type TaskBody = z.infer<typeof taskBase> & { name: JobName; result: ResultOf<JobName> | null };

export const statusUrl = (taskId: string) => `/api/v1/tasks/${taskId}`;

/** The 202 body (and Location header) for a job just queued. */
export function accepted(job: Job): z.infer<typeof taskAcceptedSchema> {
  return { task_id: job.id!, name: job.name, status: 'waiting', status_url: statusUrl(job.id!) };
}

// BullMQ has more states than a client needs: prioritized and waiting-children are still waiting.
function publicStatus(state: string): TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(state) ? (state as TaskStatus) : 'waiting';
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
const TAGS = ['tasks'];

/** Asynchronous analysis and the status of any task. */
export function createTasksRouter(opts: TasksRouterOptions): Router {
  const { queues, registry } = opts;
  const router = Router();

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/api/v1/analyze-async',
      summary: 'Analyze campaigns in the background',
      description:
        'Queues generate_campaign_report. The body filters stored campaigns (campaign_ids, channel, start_date, end_date) or carries inline rows under campaigns; an empty body analyzes every stored campaign. Follow status_url for the result.',
      tags: TAGS,
      scope: 'write',
      // No body at all means the same as {}: a report over every stored campaign.
      body: reportInputSchema.default({}),
      responses: { 202: { description: 'Queued', schema: taskAcceptedSchema, headers: { Location: 'the status URL' } } },
    },
    async ({ body }, _req, res) => {
      const job = await enqueue(queues, 'generate_campaign_report', body ?? {});
      res.status(202).location(statusUrl(job.id!)).json(accepted(job));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/api/v1/tasks/:task_id',
      summary: 'Status, progress and result of a task',
      tags: TAGS,
      scope: 'read',
      params: z.strictObject({ task_id: taskIdSchema }),
      responses: {
        200: { description: 'The task', schema: taskSchema },
        404: { description: 'No such task (never existed, or removed after the retention)' },
      },
    },
    async ({ params }, _req, res) => {
      const found = await findJob(queues, params.task_id);
      if (!found) throw new ApiError(404, 'task_not_found', `no task with id ${params.task_id}`);
      const state = await found.getState();
      // The job may have finished between the read and the state: a terminal state is read again, so a
      // finished task always comes with its result or error.
      const job = state === 'completed' || state === 'failed' ? ((await queues[found.queueName as QueueName].getJob(found.id!)) ?? found) : found;
      const status = publicStatus(state);
      res.json({
        task_id: job.id!,
        name: job.name as JobName,
        status,
        progress: typeof job.progress === 'number' || (job.progress && typeof job.progress === 'object') ? (job.progress as number | Record<string, unknown>) : 0,
        // The worker validated it against RESULTS[name] before BullMQ stored it.
        result: status === 'completed' ? ((job.returnvalue as ResultOf<JobName> | undefined) ?? null) : null,
        error: status === 'failed' ? job.failedReason || 'failed' : null,
        attempts: job.attemptsMade,
        created_at: iso(job.timestamp)!,
        started_at: iso(job.processedOn),
        finished_at: iso(job.finishedOn),
      } satisfies TaskBody);
    },
  );
  return router;
}
