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

/** Marks work the deadline must not cut off (a commit that has begun): the attempt's outcome waits for it. */
export type Finishing = <R>(work: Promise<R>) => Promise<R>;

/** After a held section ends past the deadline, how long the rest of the attempt has to return. */
export const FINISHING_GRACE_MS = 1000;

/**
 * Runs `work` with an AbortSignal that fires at the deadline. The returned promise rejects with
 * JobTimeoutError at the deadline even when the work ignores the signal (a hung call), so the attempt
 * always ends; work that honours the signal stops there too. Work passed to `finishing` is the exception:
 * a deadline that falls inside it waits until it settles (and FINISHING_GRACE_MS more for the attempt to
 * return), since stopping half-way would leave a half-applied write that no retry may come to finish.
 */
export function withDeadline<T>(job: string, seconds: number, work: (signal: AbortSignal, finishing: Finishing) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timeout = new JobTimeoutError(job, seconds);
  let holding = 0;
  let expired = false;
  // One promise and one timer per attempt, settled by whichever comes first (no race of two promises).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      expired = true;
      controller.abort(timeout);
      if (holding === 0) reject(timeout);
    }, seconds * 1000);
    const finishing: Finishing = (held) => {
      holding++;
      return held.finally(() => {
        holding--;
        if (expired && holding === 0) setTimeout(() => reject(timeout), FINISHING_GRACE_MS).unref();
      });
    };
    const fail = (err: unknown) => {
      clearTimeout(timer);
      // The work's own rejection, passed on unchanged (as `await` would).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(err);
    };
    try {
      work(controller.signal, finishing).then((value) => {
        clearTimeout(timer);
        resolve(value);
      }, fail);
    } catch (err) {
      fail(err);
    }
  });
}
