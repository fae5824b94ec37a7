import { parentPort } from 'node:worker_threads';
import { renderPdf } from './pdf-renderer';
import type { CampaignReport } from './report-types';
import { renderXlsx } from './xlsx-renderer';

export interface RenderRequest {
  readonly format: 'pdf' | 'xlsx';
  readonly report: CampaignReport;
}

export type RenderReply = { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly message: string };

const RENDERERS = { pdf: renderPdf, xlsx: renderXlsx } as const;

// The entry of the render thread (see render-off-thread.ts): one request, one reply, then the thread ends.
parentPort?.once('message', (req: RenderRequest) => {
  RENDERERS[req.format](req.report).then(
    (buf) => {
      const body = new Uint8Array(buf); // a copy with its own ArrayBuffer, so it can be transferred
      parentPort!.postMessage({ ok: true, body } satisfies RenderReply, [body.buffer]);
    },
    (err: unknown) => parentPort!.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) } satisfies RenderReply),
  );
});
