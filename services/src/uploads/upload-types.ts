export interface RowError {
  /** Row number as a spreadsheet shows it: the header is row 1. */
  readonly row: number;
  /** The column as the file names it (or the expected field when the file has no such column). */
  readonly column: string;
  readonly reason: string;
}

export interface UploadSummary {
  readonly upload_id: string;
  readonly filename: string;
  readonly format: 'csv' | 'xlsx';
  readonly rows_total: number;
  readonly rows_imported: number;
  readonly rows_invalid: number;
  /** The first MAX_ROW_ERRORS problems; `errors_total` counts all of them. */
  readonly errors: RowError[];
  readonly errors_total: number;
  readonly errors_truncated: boolean;
  /** File column → campaign field. */
  readonly columns: Record<string, string>;
  readonly ignored_columns: string[];
}

/** The file is not what it claims or cannot be imported at all; nothing was written. */
export class FatalUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
