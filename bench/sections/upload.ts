import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { bullPrefix } from '../../services/src/lib/keys';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { UploadStore } from '../../services/src/storage/upload-store';
import { BenchChild, childScript, freePort } from '../child-process';
import { deleteKeys, serviceEnv, type BenchContext } from '../context';
import { writeCampaignCsv, writeCampaignXlsx } from '../fixtures';
import { atLeast, atMost, pairedRatios } from '../stats';

const RSS_LIMIT_MB = 256;
const UPLOAD_ID = 'bench-upload';

export interface CompletedJob {
  readonly processed_on: number;
  readonly finished_on: number;
  readonly result: string;
  readonly memory_kb: { rss: number; hwm: number };
}

/**
 * Runs one job through a fresh pca-agent worker process (the real processors, telemetry on) and returns
 * BullMQ's timestamps, the result and the process's peak RSS. A fresh process per job makes VmHWM that
 * job's peak. The worker's idle RSS comes back too, for context.
 */
export async function runJobInFreshWorker(
  ctx: BenchContext,
  prefix: string,
  queueName: 'uploads' | 'reports',
  job: string,
  data: object,
): Promise<{ completed: CompletedJob; idleKb: number }> {
  const child = new BenchChild({
    name: `pca-agent worker (${job})`,
    args: [childScript('pca-worker')],
    telemetry: true,
    env: {
      ...serviceEnv(ctx, prefix, true),
      OTEL_SERVICE_NAME: 'pca-agent-worker',
      WORKER_QUEUES: queueName,
      WORKER_HTTP_PORT: String(await freePort()),
    },
  });
  const queue = new Queue(queueName, { connection: ctx.redis, prefix: bullPrefix(prefix) });
  try {
    const ready = (await child.waitForKind('ready', 30_000)) as unknown as { memory_kb: { rss: number } };
    const added = await queue.add(job, data, { attempts: 1 });
    const msg = await child.waitFor((m) => (m.kind === 'completed' || m.kind === 'failed') && m.id === added.id, 300_000, `${job} to finish`);
    if (msg.kind === 'failed') throw new Error(`${job} failed: ${String(msg.reason)}`);
    return { completed: msg as unknown as CompletedJob, idleKb: ready.memory_kb.rss };
  } finally {
    await child.stop(10_000);
    await queue.close();
  }
}

interface FileSpec {
  readonly format: 'csv' | 'xlsx';
  readonly rows: number;
  readonly path: string;
}

/**
 * Figure 4: a generated CSV and XLSX through process_bulk_upload in a real worker process (rows/s and peak
 * RSS), against the same reader plus pipelined SETs over the same upload. Each round uses its own prefix
 * (so every run inserts, never overwrites) and deletes it afterwards.
 */
export async function benchUpload(ctx: BenchContext): Promise<void> {
  const { opts, figures } = ctx;
  const files: FileSpec[] = [
    { format: 'csv', rows: opts.upload.csvRows, path: join(ctx.tmpDir, 'campaigns.csv') },
    { format: 'xlsx', rows: opts.upload.xlsxRows, path: join(ctx.tmpDir, 'campaigns.xlsx') },
  ];
  await writeCampaignCsv(files[0]!.path, files[0]!.rows);
  await writeCampaignXlsx(files[1]!.path, files[1]!.rows);
  for (const f of files) ctx.log(`upload: ${f.format} with ${f.rows} rows, ${(statSync(f.path).size / 1e6).toFixed(1)} MB`);

  for (const f of files) {
    const real: number[] = [];
    const bare: number[] = [];
    const peakMb: number[] = [];
    const bareMb: number[] = [];
    let idleMb = 0;
    const size = statSync(f.path).size;
    for (let r = 0; r < opts.rounds; r++) {
      for (const variant of r % 2 === 0 ? (['pca', 'bare'] as const) : (['bare', 'pca'] as const)) {
        const prefix = `${ctx.basePrefix}.up${f.format}${r}${variant}`;
        try {
          await new UploadStore(new FsBlobStore(process.env.BLOB_FS_DIR ?? '.data/blobs'), prefix, { maxBytes: size, ttlSeconds: 3600 }).write(UPLOAD_ID, createReadStream(f.path));
          if (variant === 'pca') {
            const { completed, idleKb } = await runJobInFreshWorker(ctx, prefix, 'uploads', 'process_bulk_upload', {
              upload_id: UPLOAD_ID,
              filename: `campaigns.${f.format}`,
              format: f.format,
              size,
            });
            const summary = JSON.parse(completed.result) as { rows_imported: number; rows_invalid: number };
            if (summary.rows_imported !== f.rows) {
              throw new Error(`process_bulk_upload imported ${summary.rows_imported} of ${f.rows} rows (${summary.rows_invalid} invalid)`);
            }
            real.push(f.rows / ((completed.finished_on - completed.processed_on) / 1000));
            peakMb.push(completed.memory_kb.hwm / 1024);
            idleMb = idleKb / 1024;
          } else {
            const child = new BenchChild({
              name: 'bare upload pass',
              args: [childScript('bare-upload')],
              env: { REDIS_URL: ctx.redisUrl, REDIS_KEY_PREFIX: prefix, BENCH_UPLOAD_ID: UPLOAD_ID, BENCH_FORMAT: f.format },
            });
            try {
              const done = (await child.waitForKind('done', 300_000)) as unknown as { rows: number; ms: number; memory_kb: { hwm: number } };
              if (done.rows !== f.rows) throw new Error(`bare pass read ${done.rows} of ${f.rows} rows`);
              bare.push(done.rows / (done.ms / 1000));
              bareMb.push(done.memory_kb.hwm / 1024);
            } finally {
              await child.stop();
            }
          }
          ctx.log(`upload: ${f.format} round ${r + 1} ${variant}: ${(variant === 'pca' ? real : bare).at(-1)!.toFixed(0)} rows/s`);
        } finally {
          await deleteKeys(ctx.redis, `${prefix}:*`);
        }
      }
    }
    const what = `${f.rows.toLocaleString('en-US')} rows`;
    figures.add(`upload_${f.format}_rows_per_s`, 'rows/s', real, { note: `process_bulk_upload, ${what}` });
    figures.add(`upload_${f.format}_peak_rss`, 'MB', peakMb, {
      verdictOf: (m) => atMost(m, RSS_LIMIT_MB, ' MB'),
      note: `worker VmHWM; idle worker ${idleMb.toFixed(0)} MB`,
    });
    figures.add(`upload_${f.format}_bare_rows_per_s`, 'rows/s', bare, { note: `same reader + pipelined SET, ${what}` });
    figures.add(`upload_${f.format}_bare_peak_rss`, 'MB', bareMb);
    figures.add(`upload_${f.format}_vs_bare_ratio`, '×', pairedRatios(real, bare), { verdictOf: (m) => atLeast(m, 0.5) });
  }
}
