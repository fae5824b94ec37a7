import { campaignInputSchema, type CampaignInput } from '../domain/campaign';
import type { CampaignStore } from '../domain/campaign-store';
import { mapHeader, rowToCandidate, type Field, type HeaderMap } from './columns';
import type { SourceRow } from './readers';
import { FatalUploadError, type RowError } from './upload-types';

export const MAX_ROW_ERRORS = 1000;

export interface ImportOptions {
  readonly store: Pick<CampaignStore, 'upsertMany'>;
  /** Rows without an id get `<idPrefix>-<row>`: the same upload job always writes the same ids. */
  readonly idPrefix: string;
  /** @default 500 */
  readonly batchSize?: number;
  readonly onProgress?: (rowsRead: number) => Promise<void> | void;
  /** Checked between batches: an aborted import writes no further batch. */
  readonly signal?: AbortSignal;
}

export interface ImportResult {
  readonly rows_total: number;
  readonly rows_imported: number;
  readonly rows_invalid: number;
  readonly errors: RowError[];
  readonly errors_total: number;
  readonly columns: Record<string, string>;
  readonly ignored_columns: string[];
}

/** The reader's file-level failure, told with the last row read before it. */
async function* located(rows: AsyncIterable<SourceRow>, lastRow: () => number): AsyncGenerator<SourceRow> {
  const it = rows[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<SourceRow>;
    try {
      next = await it.next();
    } catch (err) {
      if (err instanceof FatalUploadError && lastRow() > 0) throw new FatalUploadError(`${err.message} (the last row read was ${lastRow()})`);
      throw err;
    }
    if (next.done) return;
    yield next.value;
  }
}

function reasonOf(issue: { code: string; message: string; input?: unknown }): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  return issue.message;
}

/**
 * Validates rows one by one and upserts the good ones in batches. The header is checked before the
 * first write, so a file with a missing column writes nothing. Holds one batch at a time.
 */
export async function importCampaigns(rows: AsyncIterable<SourceRow>, opts: ImportOptions): Promise<ImportResult> {
  const batchSize = opts.batchSize ?? 500;
  let header: HeaderMap | undefined;
  let batch: (CampaignInput & { id: string })[] = [];
  const errors: RowError[] = [];
  let errorsTotal = 0;
  let total = 0;
  let imported = 0;
  let invalid = 0;

  // One batch is written while the next is parsed: at most two batches in memory, Redis and parsing overlap.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    await writing;
    opts.signal?.throwIfAborted();
    if (batch.length === 0) return;
    const full = batch;
    const readSoFar = total;
    batch = [];
    writing = opts.store.upsertMany(full).then(async () => {
      imported += full.length;
      await opts.onProgress?.(readSoFar);
    });
    // surface a failed write on the next flush, never as an unhandled rejection
    writing.catch(() => undefined);
  };
  const report = (list: RowError[]) => {
    errorsTotal += list.length;
    for (const e of list) if (errors.length < MAX_ROW_ERRORS) errors.push(e);
  };

  let lastRow = 0;
  for await (const { row, cells, problem } of located(rows, () => lastRow)) {
    lastRow = row;
    if (!header) {
      if (problem) throw new FatalUploadError(`the header row is ${problem.reason}`);
      header = mapHeader(cells);
      continue;
    }
    if (cells.every((c) => c === undefined || c === null || (typeof c === 'string' && c.trim() === ''))) continue;
    total++;
    if (problem) {
      const field = header.fields[problem.index];
      invalid++;
      report([{ row, column: (field && header.labels[field]) ?? `column ${problem.index + 1}`, reason: problem.reason }]);
      continue;
    }
    const { candidate, errors: cellErrors } = rowToCandidate(cells, header, row);
    const parsed = campaignInputSchema.safeParse(candidate);
    // A cross-field rule (dates in order) says nothing useful when a field itself is wrong.
    const issues = parsed.success ? [] : parsed.error.issues;
    const fieldIssues = issues.filter((i) => i.code !== 'custom');
    const schemaErrors: RowError[] = parsed.success
      ? []
      : (cellErrors.length || fieldIssues.length ? fieldIssues : issues)
          // a cell that did not parse already has its own error
          .filter((i) => !cellErrors.some((e) => e.column === header!.labels[i.path[0] as Field]))
          .map((i) => {
            const field = String(i.path[0] ?? '');
            return { row, column: header!.labels[field as Field] ?? field, reason: reasonOf(i) };
          });
    if (cellErrors.length || schemaErrors.length) {
      invalid++;
      report([...cellErrors, ...schemaErrors]);
      continue;
    }
    const input = parsed.data!;
    batch.push({ ...input, id: input.id ?? `${opts.idPrefix}-${row}` });
    if (batch.length >= batchSize) await flush();
  }
  if (!header) throw new FatalUploadError('the file is empty (no header row)');
  if (total === 0) throw new FatalUploadError('the file has a header but no data rows');
  await flush();
  await writing;

  const columns: Record<string, string> = {};
  for (const [field, label] of Object.entries(header.labels)) columns[label] = field;
  return {
    rows_total: total,
    rows_imported: imported,
    rows_invalid: invalid,
    errors,
    errors_total: errorsTotal,
    columns,
    ignored_columns: header.ignored,
  };
}
