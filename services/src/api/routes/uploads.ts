import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { UploadFormat } from '../../queues/contract';
import { enqueue, type Queues } from '../../queues/queues';
import { UploadTooLargeError, type UploadStore } from '../../storage/upload-store';
import { ApiError } from '../errors';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';
import { accepted, statusUrl, taskAcceptedSchema } from './tasks';

export interface UploadsRouterOptions {
  readonly queues: Queues;
  readonly uploads: UploadStore;
  readonly registry: OpenApiRegistry;
  /** UPLOAD_MAX_BYTES: larger files are refused with 413. */
  readonly maxBytes: number;
}

/** Accepted media types per format; browsers and curl send any of these for the same file. */
const TYPES = {
  csv: ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel', 'application/octet-stream'],
  xlsx: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/zip', 'application/octet-stream'],
} as const;

// Multipart framing around the file: a request this much over the limit cannot hold an acceptable file.
const MULTIPART_OVERHEAD = 64 * 1024;

const unsupported = (detail: string) =>
  new ApiError(415, 'unsupported_file_type', detail, [{ field: 'file', location: 'body', message: 'a .csv or .xlsx file' }]);
const tooLarge = (max: number) =>
  new ApiError(413, 'upload_too_large', `the file is larger than ${max} bytes`, [{ field: 'file', location: 'body', message: `at most ${max} bytes` }]);

interface Received {
  readonly filename: string;
  readonly format: UploadFormat;
  readonly size: number;
}

/**
 * Streams the multipart field `file` straight into the upload store (never buffered whole). Type and
 * extension are checked from the part headers before a byte is stored; the size while it streams.
 */
function receive(req: Request, id: string, opts: UploadsRouterOptions): Promise<Received> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: opts.maxBytes, fields: 20, parts: 25 } });
    } catch {
      reject(new ApiError(400, 'malformed_multipart', 'the multipart body has no boundary'));
      return;
    }
    let failure: unknown;
    let writing: Promise<Received> | undefined;
    const fail = (err: unknown) => {
      failure ??= err;
    };
    bb.on('file', (field: string, stream: Readable, info: busboy.FileInfo) => {
      if (field !== 'file' || failure || writing) {
        stream.resume();
        return;
      }
      const filename = (info.filename ?? '').slice(0, 255);
      const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
      const mime = (info.mimeType ?? '').toLowerCase();
      if (ext !== 'csv' && ext !== 'xlsx') {
        fail(unsupported(`only .csv and .xlsx files are accepted (got "${filename || 'no name'}")`));
        stream.resume();
        return;
      }
      if (!(TYPES[ext] as readonly string[]).includes(mime)) {
        fail(unsupported(`a .${ext} file cannot have the type ${mime || '(none)'}`));
        stream.resume();
        return;
      }
      // busboy stops the stream at the limit and says so; the stream still ends normally, so busboy
      // finishes the request (a destroyed part stream would leave it waiting).
      stream.once('limit', () => fail(tooLarge(opts.maxBytes)));
      writing = opts.uploads.write(id, stream).then((size) => ({ filename, format: ext, size }));
      writing.catch((err: unknown) => {
        fail(err instanceof UploadTooLargeError ? tooLarge(opts.maxBytes) : err);
        stream.resume();
      });
    });
    bb.on('error', (err: Error) => {
      fail(new ApiError(400, 'malformed_multipart', `the multipart body cannot be read: ${err.message}`));
      req.unpipe(bb);
      req.resume();
      void finish();
    });
    let finished = false;
    const finish = async () => {
      if (finished) return;
      finished = true;
      const received = await writing?.catch(() => undefined);
      if (failure) {
        await opts.uploads.delete(id).catch(() => undefined);
        return reject(failure instanceof Error ? failure : new Error('upload failed', { cause: failure }));
      }
      if (!received) {
        return reject(new ApiError(400, 'file_missing', 'send the file in the multipart field "file"', [{ field: 'file', location: 'body', message: 'required' }]));
      }
      resolve(received);
    };
    bb.on('close', () => void finish());
    req.pipe(bb);
  });
}

/** Bulk upload of campaigns from a CSV or XLSX file, imported by process_bulk_upload. */
export function createUploadsRouter(opts: UploadsRouterOptions): Router {
  const router = Router();
  defineRoute(
    router,
    opts.registry,
    {
      method: 'post',
      path: '/api/v1/uploads',
      summary: 'Upload campaigns from a CSV or XLSX file',
      description:
        'multipart/form-data with the file in the field "file" (.csv UTF-8 or .xlsx, first sheet, header row first). Headers match case- and space-insensitively (e.g. "Campaign Name", "Start Date", "Cost"). The task\'s result counts imported and invalid rows and lists the first 1000 problems with row, column and reason.',
      tags: ['uploads'],
      scope: 'write',
      bodyType: 'multipart/form-data',
      body: z.object({ file: z.string().describe('the .csv or .xlsx file (binary)') }),
      responses: {
        202: { description: 'Stored and queued', schema: taskAcceptedSchema.extend({ upload_id: z.string() }), headers: { Location: 'the status URL' } },
        413: { description: 'Larger than UPLOAD_MAX_BYTES' },
        415: { description: 'Not a .csv or .xlsx file' },
      },
    },
    async (_input, req, res) => {
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > opts.maxBytes + MULTIPART_OVERHEAD) {
        res.set('Connection', 'close');
        throw tooLarge(opts.maxBytes);
      }
      const id = `upl_${randomUUID().replace(/-/g, '')}`;
      let received: Received;
      try {
        received = await receive(req, id, opts);
      } catch (err) {
        // the client may still be sending: do not keep reading a body we refused
        res.set('Connection', 'close');
        throw err;
      }
      const job = await enqueue(opts.queues, 'process_bulk_upload', {
        upload_id: id,
        filename: received.filename,
        format: received.format,
        size: received.size,
      });
      res.status(202).location(statusUrl(job.id!)).json({ ...accepted(job), upload_id: id });
    },
  );
  return router;
}
