import { UnrecoverableError } from 'bullmq';
import { PAYLOADS, SCHEDULED_JOBS, type JobName, type ResultOf } from '../queues/contract';
import { DOMAIN_SPANS, withSpan } from '../telemetry/spans';
import { backupData } from './backup-data';
import { cleanupOldReports } from './cleanup-old-reports';
import { generateCampaignReport } from './generate-campaign-report';
import { generateExcelReport } from './generate-excel-report';
import { generatePdfReport } from './generate-pdf-report';
import { healthCheck } from './health-check';
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
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw new UnrecoverableError(`invalid payload for ${name}: ${detail}`);
  }
  const run = () =>
    processor({ id: job.id, name: job.name, data: parsed.data, updateProgress: (p) => job.updateProgress(p) }, ctx);
  // Scheduled tasks get a span of their own, so a CronJob's run reads the same in Jaeger queued or --inline.
  if (name in SCHEDULED_JOBS) return withSpan(DOMAIN_SPANS.task(name), { 'pca.task.name': name }, run);
  return run();
}
