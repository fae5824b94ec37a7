import { PermanentError } from '../lib/errors';
import type { JobName } from './contract';

/** A payload the contract rejects: at enqueue a 400, in the worker a failure no retry can fix. */
export class InvalidPayloadError extends PermanentError {
  constructor(
    readonly job: JobName,
    readonly issues: { field: string; message: string }[],
  ) {
    super(`invalid payload for ${job}: ${issues.map((i) => `${i.field || '(payload)'}: ${i.message}`).join('; ')}`);
  }
}
