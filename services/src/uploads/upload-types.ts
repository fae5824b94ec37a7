export type { RowError, UploadSummary } from '../queues/results';

/** The file is not what it claims or cannot be imported at all; nothing was written. */
export class FatalUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
