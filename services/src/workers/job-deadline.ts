import type { Config } from '../config/env';
import type { JobName } from '../queues/contract';

/** The env variable holding each job's deadline (seconds). */
export const JOB_TIMEOUT_VARIABLES = {
  generate_campaign_report: 'JOB_TIMEOUT_GENERATE_CAMPAIGN_REPORT',
  generate_pdf_report: 'JOB_TIMEOUT_GENERATE_PDF_REPORT',
  generate_excel_report: 'JOB_TIMEOUT_GENERATE_EXCEL_REPORT',
  process_bulk_upload: 'JOB_TIMEOUT_PROCESS_BULK_UPLOAD',
  cleanup_old_reports: 'JOB_TIMEOUT_CLEANUP_OLD_REPORTS',
  refresh_benchmarks: 'JOB_TIMEOUT_REFRESH_BENCHMARKS',
  health_check: 'JOB_TIMEOUT_HEALTH_CHECK',
  backup_data: 'JOB_TIMEOUT_BACKUP_DATA',
} as const satisfies Record<JobName, keyof Config>;

export function jobTimeoutSeconds(cfg: Pick<Config, (typeof JOB_TIMEOUT_VARIABLES)[JobName]>, job: JobName): number {
  return cfg[JOB_TIMEOUT_VARIABLES[job]];
}

/** An attempt that ran past its job's deadline; an ordinary failure, so the job's attempts apply. */
export class JobTimeoutError extends Error {
  constructor(
    readonly job: string,
    readonly seconds: number,
  ) {
    super(`${job} timed out after ${seconds} s`);
    this.name = this.constructor.name;
  }
}

/**
 * Runs `work` with an AbortSignal that fires at the deadline. The returned promise rejects with
 * JobTimeoutError at the deadline even when the work ignores the signal (a hung call), so the attempt
 * always ends; work that honours the signal stops there too.
 */
export function withDeadline<T>(job: string, seconds: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // One promise and one timer per attempt, settled by whichever comes first (no race of two promises).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new JobTimeoutError(job, seconds);
      controller.abort(err);
      reject(err);
    }, seconds * 1000);
    const fail = (err: unknown) => {
      clearTimeout(timer);
      // The work's own rejection, passed on unchanged (as `await` would).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(err);
    };
    try {
      work(controller.signal).then((value) => {
        clearTimeout(timer);
        resolve(value);
      }, fail);
    } catch (err) {
      fail(err);
    }
  });
}
