import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { renderPdf } from './pdf-renderer';
import type { RenderReply, RenderRequest } from './render-thread';
import type { CampaignReport } from './report-types';
import { renderXlsx } from './xlsx-renderer';

const THREAD_SCRIPT = join(__dirname, 'render-thread.js');

/**
 * Renders a PDF or XLSX report in a worker thread. Rendering is seconds of synchronous work for a large
 * report (measured: 2.9 s without a break for a 10,000-campaign workbook); on the main thread it would
 * starve BullMQ's lock renewal and the probes. The signal terminates the thread at once.
 * Without the compiled thread script (the TypeScript sources under jest) it renders in process.
 */
export async function renderOffThread(format: RenderRequest['format'], report: CampaignReport, signal?: AbortSignal): Promise<Buffer> {
  signal?.throwIfAborted();
  if (!existsSync(THREAD_SCRIPT)) return (format === 'pdf' ? renderPdf : renderXlsx)(report);
  // execArgv [] keeps `--require instrumentation.js` out of the thread: one telemetry SDK per process.
  const thread = new Worker(THREAD_SCRIPT, { execArgv: [] });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const onAbort = () => reject(signal!.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      thread.once('message', (reply: RenderReply) => {
        signal?.removeEventListener('abort', onAbort);
        if (reply.ok) resolve(Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength));
        else reject(new Error(`rendering the ${format} report failed: ${reply.message}`));
      });
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`the ${format} render thread exited with code ${code}`)));
      thread.postMessage({ format, report } satisfies RenderRequest);
    });
  } finally {
    await thread.terminate();
  }
}
