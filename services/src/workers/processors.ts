import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import { isPermanent } from '../lib/errors';
import { PAYLOADS, RESULTS, type JobName, type ResultOf } from '../queues/contract';
import { isScheduledTask } from '../queues/scheduled-runs';
import { DOMAIN_SPANS, withSpan } from '../telemetry/spans';
import { backupData } from './backup-data';
import { cleanupOldReports } from './cleanup-old-reports';
import { generateCampaignReport } from './generate-campaign-report';
import { generateExcelReport } from './generate-excel-report';
import { generatePdfReport } from './generate-pdf-report';
import { healthCheck } from './health-check';
import { jobTimeoutSeconds, withDeadline, type Attempt } from './job-deadline';
import { processBulkUpload } from './process-bulk-upload';
import type { JobLike, Processor, ProcessorContext } from './processor-context';
import { refreshBenchmarks } from './refresh-benchmarks';

/** The one processor per job name. */
export const PROCESSORS: { readonly [J in JobName]: Processor<J> } = {
  generate_campaign_report: generateCampaignReport,
  generate_pdf_report: generatePdfReport,
  generate_excel_report: generateExcelReport,
  process_bulk_upload: processBulkUpload,
  cleanup_old_reports: cleanupOldReports,
  refresh_benchmarks: refreshBenchmarks,
  health_check: healthCheck,
  backup_data: backupData,
};

/**
 * Runs a job through its processor after re-validating the payload against the contract: a job that
 * was enqueued by something other than the API (or an older version) fails without retries.
 */
export async function runJob(job: JobLike, ctx: ProcessorContext): Promise<ResultOf<JobName>> {
  const name = job.name as JobName;
  const processor = PROCESSORS[name] as Processor<JobName> | undefined;
  if (!processor) throw new UnrecoverableError(`unknown job name ${job.name}`);
  const parsed = PAYLOADS[name].safeParse(job.data ?? {});
  if (!parsed.success) {
    throw new UnrecoverableError(`invalid payload for ${name}: ${issues(parsed.error, '(payload)')}`);
  }
  // Every attempt has a deadline: BullMQ renews a lock as long as the process lives, so a hung attempt
  // would otherwise stay active (and keep KEDA from scaling down) forever.
  const run = async () => {
    let result: unknown;
    try {
      result = await withDeadline(name, jobTimeoutSeconds(ctx.cfg, name), (attempt) => processor(new AttemptJob(job, parsed.data, attempt), ctx));
    } catch (err) {
      // A failure no retry can fix fails now instead of after JOB_ATTEMPTS tries.
      if (isPermanent(err)) throw new UnrecoverableError(err.message);
      throw err;
    }
    return checkResult(name, result);
  };
  if (!isScheduledTask(name)) return run();
  // Scheduled tasks get a span of their own, so a CronJob's run reads the same in Jaeger queued or --inline,
  // and their last success is kept in Redis for pca_scheduled_task_last_success_timestamp_seconds.
  const result = await withSpan(DOMAIN_SPANS.task(name), { 'pca.task.name': name }, run);
  await ctx.scheduledRuns.record(name, ctx.now());
  return result;
}

/** The job as its processor sees it: the validated payload, and the attempt's signal only when it is read. */
class AttemptJob<D> implements JobLike<D> {
  readonly id: string | undefined;
  readonly name: string;

  constructor(
    private readonly job: JobLike,
    readonly data: D,
    private readonly attempt: Attempt,
  ) {
    this.id = job.id;
    this.name = job.name;
  }

  get signal(): AbortSignal {
    return this.attempt.signal;
  }

  get finishing(): Attempt['finishing'] {
    return this.attempt.finishing;
  }

  updateProgress(progress: number | object): Promise<void> {
    return this.job.updateProgress(progress);
  }
}

/** What BullMQ stores is what the contract (and the task API's OpenAPI) says; a mismatch is a bug, not worth a retry. */
export function checkResult(name: JobName, result: unknown): ResultOf<JobName> {
  const checked = RESULTS[name].safeParse(result);
  if (checked.success) return checked.data;
  throw new UnrecoverableError(`${name} returned a result that does not match the contract: ${issues(checked.error, '(result)')}`);
}

const issues = (error: z.ZodError, whole: string) => error.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`).join('; ');
