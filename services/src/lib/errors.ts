/**
 * Failures every layer shares. Layers keep their own errors in their own `errors.ts`, named for what
 * happened; this module holds only the two kinds the entry points act on.
 */

/** Base of the project's errors: the class name is the error's name, so logs say what happened. */
export class PcaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/**
 * A failure that retrying cannot fix (bad input, a file too large, an input that expired). The worker
 * turns it into BullMQ's `UnrecoverableError`, so it fails at once instead of after `JOB_ATTEMPTS` tries.
 */
export class PermanentError extends PcaError {}

/** A command line the CLI cannot run (unknown option, bad value): printed as one line, exit code 2. */
export class UsageError extends PcaError {}

export function isPermanent(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}
