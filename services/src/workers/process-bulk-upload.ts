import { createHash } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { isPermanent } from '../lib/errors';
import { UploadMissingError } from '../storage/upload-store';
import { MAX_ROW_ERRORS, importCampaigns } from '../uploads/import-campaigns';
import { csvRows, detectDelimiter, xlsxRows } from '../uploads/readers';
import { sniffCsv, sniffXlsx } from '../uploads/sniff';
import { FatalUploadError, type UploadSummary } from '../uploads/upload-types';
import { checkXlsxZip, verifyZipEntries } from '../uploads/zip-guard';
import { DOMAIN_SPANS, withBatchSpan, withSpan } from '../telemetry/spans';
import type { Processor } from './processor-context';

const SNIFF_BYTES = 64 * 1024;

/**
 * Imports an uploaded CSV or XLSX file of campaigns, streamed, all or nothing: rows are staged under the
 * upload's own key and committed at the end (storage/upload-imports.ts); a file-level error discards the
 * stage and fails without retries. Safe under retries and duplicates: the import is keyed on the upload
 * (row ids derive from the upload id, not the job id), an upload already imported returns its earlier
 * result without writing again, and an interrupted commit is resumed. An input that has expired, with no
 * earlier import, is an unrecoverable "input expired" failure.
 */
export const processBulkUpload: Processor<'process_bulk_upload'> = (job, ctx) =>
  withSpan(DOMAIN_SPANS.parseUpload, { 'pca.upload.format': job.data.format, 'pca.upload.bytes': job.data.size }, async (span) => {
    const summary = await importUpload(job, ctx);
    span.setAttributes({ 'pca.upload.rows': summary.rows_total, 'pca.upload.errors': summary.errors_total });
    return summary;
  });

const importUpload: Processor<'process_bulk_upload'> = async (job, ctx) => {
  const { upload_id: id, format, filename } = job.data;
  const earlier = await ctx.imports.state<UploadSummary>(id);
  if (earlier?.status === 'imported') {
    ctx.logger.info({ upload_id: id, job_id: job.id }, 'upload already imported: returning the earlier result, writing nothing');
    return earlier.summary;
  }
  // A begun commit is finished even past the deadline: cut off, it would leave part of the upload imported.
  const commit = (summary: UploadSummary) => {
    const committing = ctx.imports.commit(id, summary, (n) => job.updateProgress({ rows_committed: n }));
    return job.finishing ? job.finishing(committing) : committing;
  };
  if (earlier?.status === 'committing') return commit(earlier.summary);
  // leftovers of an attempt that died before its commit
  await ctx.imports.discardStage(id);
  try {
    const size = await ctx.uploads.size(id);
    if (size === null) throw new UploadMissingError(id);
    if (size === 0) throw new FatalUploadError('the file is empty');
    const head = await ctx.uploads.readRange(id, 0, SNIFF_BYTES - 1);
    let rows;
    if (format === 'csv') {
      sniffCsv(head);
      rows = csvRows(await ctx.uploads.open(id), detectDelimiter(head));
    } else {
      sniffXlsx(head);
      const read = (s: number, e: number) => ctx.uploads.readRange(id, s, e);
      const entries = await checkXlsxZip(size, read, { maxUncompressedBytes: ctx.cfg.UPLOAD_MAX_UNCOMPRESSED_BYTES });
      await verifyZipEntries(size, read, entries);
      rows = xlsxRows(await ctx.uploads.open(id));
    }
    const idPrefix = `u${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
    const stage = ctx.imports.stager(id);
    const result = await importCampaigns(rows, {
      // one span per staged batch, not one per Redis command
      store: { upsertMany: (batch) => withBatchSpan(DOMAIN_SPANS.storeBatch, { 'pca.batch.rows': batch.length }, () => stage.upsertMany(batch)) },
      idPrefix,
      onProgress: (read) => job.updateProgress({ rows_read: read }),
      signal: job.signal,
    });
    const summary: UploadSummary = {
      upload_id: id,
      filename,
      format,
      ...result,
      errors_truncated: result.errors_total > MAX_ROW_ERRORS,
    };
    return await commit(summary);
  } catch (err) {
    // rollback, unless the commit has begun: then the stage is what the retry resumes from
    if (!(await ctx.imports.state(id).catch(() => null))) await ctx.imports.discardStage(id).catch(() => undefined);
    if (isPermanent(err)) throw new UnrecoverableError(`${filename}: ${err.message}; nothing was imported`);
    throw err;
  }
};
