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

/** What the work of one attempt gets: the signal aborted at the deadline, and `finishing` (see Finishing). */
export interface Attempt {
  readonly signal: AbortSignal;
  readonly finishing: Finishing;
}

/**
 * One attempt's deadline. The AbortController, the timeout error (its stack trace) and the `finishing`
 * function are made only when something asks for them: most jobs read neither and end long before the
 * deadline, and per job these were a measurable part of a small job's cost (issue #14).
 */
class Deadline implements Attempt {
  private controller: AbortController | undefined;
  private timeout: JobTimeoutError | undefined;
  private holding = 0;
  private hold: Finishing | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly job: string,
    private readonly seconds: number,
    private readonly reject: (err: unknown) => void,
  ) {
    this.timer = setTimeout(() => this.expire(), seconds * 1000);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      // Asked for after the deadline: already aborted, with the same error.
      if (this.timeout) this.controller.abort(this.timeout);
    }
    return this.controller.signal;
  }

  get finishing(): Finishing {
    this.hold ??= (held) => {
      this.holding++;
      return held.finally(() => {
        this.holding--;
        if (this.timeout && this.holding === 0) setTimeout(() => this.reject(this.timeout), FINISHING_GRACE_MS).unref();
      });
    };
    return this.hold;
  }

  /** The attempt settled first. */
  settled(): void {
    clearTimeout(this.timer);
  }

  private expire(): void {
    this.timeout = new JobTimeoutError(this.job, this.seconds);
    this.controller?.abort(this.timeout);
    if (this.holding === 0) this.reject(this.timeout);
  }
}

/**
 * Runs `work` with an AbortSignal that fires at the deadline. The returned promise rejects with
 * JobTimeoutError at the deadline even when the work ignores the signal (a hung call), so the attempt
 * always ends; work that honours the signal stops there too. Work passed to `finishing` is the exception:
 * a deadline that falls inside it waits until it settles (and FINISHING_GRACE_MS more for the attempt to
 * return), since stopping half-way would leave a half-applied write that no retry may come to finish.
 */
export function withDeadline<T>(job: string, seconds: number, work: (attempt: Attempt) => Promise<T>): Promise<T> {
  // One promise and one timer per attempt, settled by whichever comes first (no race of two promises).
  return new Promise<T>((resolve, reject) => {
    const deadline = new Deadline(job, seconds, reject);
    const fail = (err: unknown) => {
      deadline.settled();
      // The work's own rejection, passed on unchanged (as `await` would).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(err);
    };
    try {
      work(deadline).then((value) => {
        deadline.settled();
        resolve(value);
      }, fail);
    } catch (err) {
      fail(err);
    }
  });
}
