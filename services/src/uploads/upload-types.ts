import { PermanentError } from '../lib/errors';
export type { RowError, UploadSummary } from '../queues/results';

/** The file is not what it claims or cannot be imported at all; nothing was written. */
export class FatalUploadError extends PermanentError {}
