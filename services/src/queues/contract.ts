import { z } from 'zod';
import { campaignIdSchema, campaignInputSchema, CHANNELS } from '../domain/campaign';
import {
  artifactResultSchema,
  benchmarkSetSchema,
  campaignReportSchema,
  backupResultSchema,
  cleanupSummarySchema,
  healthReportSchema,
  REPORT_FORMATS,
  UPLOAD_FORMATS,
  uploadSummarySchema,
  type ReportFormat,
} from './results';

export * from './results';

/**
 * The queue contract: queue names, job names and the payload of every job. The API, the worker, the
 * task entry point, the dashboard and the chart's KEDA triggers all derive from this module.
 */
export const QUEUES = {
  reports: ['generate_campaign_report', 'generate_pdf_report', 'generate_excel_report'],
  uploads: ['process_bulk_upload'],
  maintenance: ['cleanup_old_reports', 'refresh_benchmarks', 'health_check', 'backup_data'],
} as const;

export type QueueName = keyof typeof QUEUES;
export type JobName = (typeof QUEUES)[QueueName][number];

export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];
export const JOB_NAMES: JobName[] = QUEUE_NAMES.flatMap((q): JobName[] => [...QUEUES[q]]);

/** Jobs the Kubernetes CronJobs (or the local scheduler) run, with their default schedules. */
export const SCHEDULED_JOBS = {
  cleanup_old_reports: { schedule: '0 2 * * *' },
  refresh_benchmarks: { schedule: '0 0 * * *' },
  health_check: { schedule: '*/5 * * * *' },
  backup_data: { schedule: '0 3 * * *' },
} as const satisfies Partial<Record<JobName, { schedule: string }>>;

export type ScheduledJobName = keyof typeof SCHEDULED_JOBS;

export function queueOf(job: JobName): QueueName {
  for (const q of QUEUE_NAMES) if ((QUEUES[q] as readonly string[]).includes(job)) return q;
  throw new Error(`unknown job ${job}`);
}

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as string[]).includes(name);
}

/**
 * The Redis list BullMQ keeps a queue's waiting jobs in (`<prefix>:<queue>:wait`). KEDA's Redis
 * lists trigger reads exactly this key; it must not be typed anywhere else.
 */
export function waitListKey(bullPrefix: string, queue: QueueName): string {
  return `${bullPrefix}:${queue}:wait`;
}

/**
 * The Redis list of a queue's running jobs. KEDA watches it too, so a worker is not scaled to zero
 * under a job that is still running (once `wait` is empty, the cooldown would otherwise remove it).
 */
export function activeListKey(bullPrefix: string, queue: QueueName): string {
  return `${bullPrefix}:${queue}:active`;
}

/**
 * Where the API serves a queue's prioritized and due delayed jobs, which KEDA's metrics-api trigger reads
 * (the Redis list trigger cannot read those sorted sets).
 */
export const PENDING_WORK_PATH = '/scaling/pending/';

const isoDate = z.iso.date('a date as YYYY-MM-DD');

const reportInputShape = {
  campaign_ids: z.array(campaignIdSchema).min(1).max(1000).optional(),
  channel: z.enum(CHANNELS).optional(),
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
  campaigns: z.array(campaignInputSchema).min(1).max(10_000).optional(),
};

type ReportInputFields = { [K in keyof typeof reportInputShape]?: unknown };

/** The rules every report input obeys, whatever else its object carries. */
function reportRules<T extends z.ZodType<ReportInputFields>>(schema: T) {
  return schema
    .refine((v) => !(v.campaigns && (v.campaign_ids || v.channel || v.start_date || v.end_date)), {
      message: 'give either inline campaigns or filters over stored campaigns, not both',
      path: ['campaigns'],
    })
    .refine((v) => !v.start_date || !v.end_date || (v.start_date as string) <= (v.end_date as string), {
      message: 'end_date must not be before start_date',
      path: ['end_date'],
    });
}

/** Input of generate_campaign_report and of the PDF/XLSX reports: filters or inline rows; empty = all stored. */
export const reportInputSchema = reportRules(z.strictObject(reportInputShape));

/** The job that renders each report format. */
export const REPORT_JOBS = {
  json: 'generate_campaign_report',
  pdf: 'generate_pdf_report',
  xlsx: 'generate_excel_report',
} as const satisfies Record<ReportFormat, JobName>;

/** Body of `POST /api/v1/reports`: a report input plus the format. */
export const reportRequestSchema = reportRules(
  z.strictObject({ ...reportInputShape, format: z.enum(REPORT_FORMATS).default('json') }),
);

export type ReportInput = z.infer<typeof reportInputSchema>;

export const uploadPayloadSchema = z.strictObject({
  upload_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  filename: z.string().max(255),
  format: z.enum(UPLOAD_FORMATS),
  size: z.number().int().min(0),
});

export type UploadPayload = z.infer<typeof uploadPayloadSchema>;

export const emptyPayloadSchema = z.strictObject({}).default({});

/** Payload schema per job name: the worker re-validates with it and fails bad input as unrecoverable. */
export const PAYLOADS = {
  generate_campaign_report: reportInputSchema,
  generate_pdf_report: reportInputSchema,
  generate_excel_report: reportInputSchema,
  process_bulk_upload: uploadPayloadSchema,
  cleanup_old_reports: emptyPayloadSchema,
  refresh_benchmarks: emptyPayloadSchema,
  health_check: emptyPayloadSchema,
  backup_data: emptyPayloadSchema,
} as const satisfies Record<JobName, z.ZodType>;

export type PayloadOf<J extends JobName> = z.infer<(typeof PAYLOADS)[J]>;

/** Every task id the API hands out or accepts; checked before any Redis access. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Result schema per job name: the worker validates what a processor returns before BullMQ stores it. */
export const RESULTS = {
  generate_campaign_report: artifactResultSchema.extend({ report: campaignReportSchema }),
  generate_pdf_report: artifactResultSchema,
  generate_excel_report: artifactResultSchema,
  process_bulk_upload: uploadSummarySchema,
  cleanup_old_reports: cleanupSummarySchema,
  refresh_benchmarks: benchmarkSetSchema,
  health_check: healthReportSchema,
  backup_data: backupResultSchema,
} as const satisfies Record<JobName, z.ZodType>;

export type ResultOf<J extends JobName> = z.infer<(typeof RESULTS)[J]>;

/** Where the API says an artifact can be downloaded. */
export function downloadUrl(reportId: string): string {
  return `/api/v1/reports/${reportId}`;
}
