import { createHash } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { isPermanent } from '../lib/errors';
import { UploadMissingError } from '../storage/upload-store';
import { MAX_ROW_ERRORS, importCampaigns } from '../uploads/import-campaigns';
import { csvRows, detectDelimiter, xlsxRows } from '../uploads/readers';
import { sniffCsv, sniffXlsx } from '../uploads/sniff';
import { FatalUploadError } from '../uploads/upload-types';
import { checkXlsxZip, verifyZipEntries } from '../uploads/zip-guard';
import { DOMAIN_SPANS, withBatchSpan, withSpan } from '../telemetry/spans';
import type { Processor } from './processor-context';

const SNIFF_BYTES = 64 * 1024;

/**
 * Imports an uploaded CSV or XLSX file of campaigns, streamed. The file is checked (content sniffed,
 * XLSX central directory inspected, header mapped) before the first write, so a fatal problem writes
 * nothing and fails the job without retries. Row ids derive from the job id: a retry rewrites the same rows.
 */
export const processBulkUpload: Processor<'process_bulk_upload'> = (job, ctx) =>
  withSpan(DOMAIN_SPANS.parseUpload, { 'pca.upload.format': job.data.format, 'pca.upload.bytes': job.data.size }, async (span) => {
    const summary = await importUpload(job, ctx);
    span.setAttributes({ 'pca.upload.rows': summary.rows_total, 'pca.upload.errors': summary.errors_total });
    return summary;
  });

const importUpload: Processor<'process_bulk_upload'> = async (job, ctx) => {
  const { upload_id: id, format, filename } = job.data;
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
    const idPrefix = `u${createHash('sha256').update(job.id ?? id).digest('hex').slice(0, 16)}`;
    const result = await importCampaigns(rows, {
      // one span per batch written, not one per Redis command
      store: { upsertMany: (batch) => withBatchSpan(DOMAIN_SPANS.storeBatch, { 'pca.batch.rows': batch.length }, () => ctx.store.upsertMany(batch)) },
      idPrefix,
      onProgress: (read) => job.updateProgress({ rows_read: read }),
      signal: job.signal,
    });
    return {
      upload_id: id,
      filename,
      format,
      ...result,
      errors_truncated: result.errors_total > MAX_ROW_ERRORS,
    };
  } catch (err) {
    if (isPermanent(err)) throw new UnrecoverableError(`${filename}: ${err.message}`);
    throw err;
  }
};
