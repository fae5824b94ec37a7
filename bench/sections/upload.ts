import { createReadStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { WORKER_NODE_FLAGS } from '../../services/src/config/node-flags';
import { bullPrefix } from '../../services/src/lib/keys';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { UploadStore } from '../../services/src/storage/upload-store';
import { BenchChild, childScript, freePort } from '../child-process';
import { deleteKeys, serviceEnv, type BenchContext } from '../context';
import { writeCampaignCsv, writeCampaignXlsx } from '../fixtures';
import { atLeast, atMost, pairedRatios, summarize } from '../stats';

const RSS_LIMIT_MB = 256;
const UPLOAD_ID = 'bench-upload';
/** The worker's own deadline of process_bulk_upload (JOB_TIMEOUT_PROCESS_BULK_UPLOAD): a 1M-row import takes about 2 minutes here. */
const JOB_WAIT_MS = 600_000;

export interface CompletedJob {
  readonly processed_on: number;
  readonly finished_on: number;
  readonly result: string;
  readonly memory_kb: { rss: number; hwm: number };
  /** CPU time the worker process had used when the job completed. */
  readonly cpu_us: number;
}

/**
 * Runs one job through a fresh pca-agent worker process (the real processors, telemetry on) and returns
 * BullMQ's timestamps, the result, the process's peak RSS and CPU time. A fresh process per job makes
 * VmHWM that job's peak. The worker's idle RSS and CPU time at `ready` come back too.
 */
export async function runJobInFreshWorker(
  ctx: BenchContext,
  prefix: string,
  queueName: 'uploads' | 'reports',
  job: string,
  data: object,
): Promise<{ completed: CompletedJob; idleKb: number; idleCpuUs: number }> {
  const child = new BenchChild({
    name: `pca-agent worker (${job})`,
    args: [childScript('pca-worker')],
    telemetry: true,
    // As npm start and the chart ship the worker: the heap cap is what keeps an import's peak flat.
    nodeFlags: WORKER_NODE_FLAGS,
    env: {
      ...serviceEnv(ctx, prefix, true),
      OTEL_SERVICE_NAME: 'pca-agent-worker',
      WORKER_QUEUES: queueName,
      WORKER_HTTP_PORT: String(await freePort()),
    },
  });
  const queue = new Queue(queueName, { connection: ctx.redis, prefix: bullPrefix(prefix) });
  try {
    const ready = (await child.waitForKind('ready', 30_000)) as unknown as { memory_kb: { rss: number }; cpu_us: number };
    const added = await queue.add(job, data, { attempts: 1 });
    const msg = await child.waitFor((m) => (m.kind === 'completed' || m.kind === 'failed') && m.id === added.id, JOB_WAIT_MS, `${job} to finish`);
    if (msg.kind === 'failed') throw new Error(`${job} failed: ${String(msg.reason)}`);
    return { completed: msg as unknown as CompletedJob, idleKb: ready.memory_kb.rss, idleCpuUs: ready.cpu_us };
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

/** One pass over one file: rows/s, peak RSS and CPU time per row (user + system, every thread). */
interface Pass {
  readonly rowsPerS: number;
  readonly peakMb: number;
  readonly cpuUsPerRow: number;
  /** The worker's RSS before the job (the pca-agent pass only). */
  readonly idleMb?: number;
}

/** Stages the file as upload UPLOAD_ID under `prefix`, runs `pass`, then removes the upload and the prefix's keys. */
async function withStagedUpload(ctx: BenchContext, f: FileSpec, prefix: string, pass: (size: number) => Promise<Pass>): Promise<Pass> {
  const size = statSync(f.path).size;
  const uploads = new UploadStore(new FsBlobStore(process.env.BLOB_FS_DIR ?? '.data/blobs'), prefix, { maxBytes: size, ttlSeconds: 3600 });
  try {
    await uploads.write(UPLOAD_ID, createReadStream(f.path));
    return await pass(size);
  } finally {
    await uploads.delete(UPLOAD_ID).catch(() => undefined);
    await deleteKeys(ctx.redis, `${prefix}:*`);
  }
}

/** process_bulk_upload in a fresh pca-agent worker; checks that every row was imported. */
function workerPass(ctx: BenchContext, f: FileSpec, prefix: string): Promise<Pass> {
  return withStagedUpload(ctx, f, prefix, async (size) => {
    const { completed, idleKb, idleCpuUs } = await runJobInFreshWorker(ctx, prefix, 'uploads', 'process_bulk_upload', {
      upload_id: UPLOAD_ID,
      filename: `campaigns.${f.format}`,
      format: f.format,
      size,
    });
    const summary = JSON.parse(completed.result) as { rows_imported: number; rows_invalid: number };
    if (summary.rows_imported !== f.rows) {
      throw new Error(`process_bulk_upload imported ${summary.rows_imported} of ${f.rows} rows (${summary.rows_invalid} invalid)`);
    }
    return {
      rowsPerS: f.rows / ((completed.finished_on - completed.processed_on) / 1000),
      peakMb: completed.memory_kb.hwm / 1024,
      cpuUsPerRow: (completed.cpu_us - idleCpuUs) / f.rows,
      idleMb: idleKb / 1024,
    };
  });
}

/**
 * The same reader plus pipelined SETs (bench/children/bare-upload.ts) over the same upload; with
 * `sortIndexes`, plus the campaign store's seven sort-index members per row.
 */
function barePass(ctx: BenchContext, f: FileSpec, prefix: string, sortIndexes = false): Promise<Pass> {
  return withStagedUpload(ctx, f, prefix, async () => {
    const child = new BenchChild({
      name: sortIndexes ? 'bare upload pass with sort indexes' : 'bare upload pass',
      args: [childScript('bare-upload')],
      env: {
        REDIS_URL: ctx.redisUrl,
        REDIS_KEY_PREFIX: prefix,
        BENCH_UPLOAD_ID: UPLOAD_ID,
        BENCH_FORMAT: f.format,
        BENCH_SORT_INDEXES: sortIndexes ? '1' : '0',
      },
    });
    try {
      const done = (await child.waitForKind('done', 300_000)) as unknown as { rows: number; ms: number; cpu_us: number; memory_kb: { hwm: number } };
      if (done.rows !== f.rows) throw new Error(`bare pass read ${done.rows} of ${f.rows} rows`);
      return { rowsPerS: done.rows / (done.ms / 1000), peakMb: done.memory_kb.hwm / 1024, cpuUsPerRow: done.cpu_us / done.rows };
    } finally {
      await child.stop();
    }
  });
}

const us = (v: number) => `${v.toFixed(0)} µs`;

/** pca-agent's worker, the bare pass, and the bare pass that also keeps the sort indexes. */
type Variant = 'pca' | 'bare' | 'indexed';

/**
 * Figure 4: a generated CSV and XLSX through process_bulk_upload in a real worker process (rows/s, peak
 * RSS, CPU per row), against the same reader plus pipelined SETs over the same upload; then a CSV ten
 * times larger (1M rows in a full run) through the worker, whose peak RSS must stay within 10 % of the
 * small one's: an import's memory does not grow with the file. Each pass uses its own prefix (so every
 * run inserts, never overwrites) and deletes it and its upload afterwards.
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

  let smallCsvPeakMb = 0;
  for (const f of files) {
    const passes: Record<Variant, Pass[]> = { pca: [], bare: [], indexed: [] };
    // The indexed floor only for the CSV: the XLSX import is bound by its reader.
    const variants: readonly Variant[] = f.format === 'csv' ? ['pca', 'bare', 'indexed'] : ['pca', 'bare'];
    for (let r = 0; r < opts.rounds; r++) {
      // each round starts with the next variant, so none always runs first
      for (let v = 0; v < variants.length; v++) {
        const variant = variants[(r + v) % variants.length]!;
        const prefix = `${ctx.basePrefix}.up${f.format}${r}${variant}`;
        const pass = variant === 'pca' ? await workerPass(ctx, f, prefix) : await barePass(ctx, f, prefix, variant === 'indexed');
        passes[variant].push(pass);
        ctx.log(`upload: ${f.format} round ${r + 1} ${variant}: ${pass.rowsPerS.toFixed(0)} rows/s, ${pass.peakMb.toFixed(0)} MB peak`);
      }
    }
    const { pca: real, bare, indexed } = passes;
    const what = `${f.rows.toLocaleString('en-US')} rows`;
    const of = (passes: Pass[], k: 'rowsPerS' | 'peakMb' | 'cpuUsPerRow') => passes.map((p) => p[k]);
    figures.add(`upload_${f.format}_rows_per_s`, 'rows/s', of(real, 'rowsPerS'), { note: `process_bulk_upload, ${what}` });
    const peak = figures.add(`upload_${f.format}_peak_rss`, 'MB', of(real, 'peakMb'), {
      verdictOf: (m) => atMost(m, RSS_LIMIT_MB, ' MB'),
      note: `worker VmHWM; idle worker ${real.at(-1)!.idleMb!.toFixed(0)} MB`,
    });
    if (f.format === 'csv') smallCsvPeakMb = peak.median;
    figures.add(`upload_${f.format}_bare_rows_per_s`, 'rows/s', of(bare, 'rowsPerS'), { note: `same reader + pipelined SET, ${what}` });
    figures.add(`upload_${f.format}_bare_peak_rss`, 'MB', of(bare, 'peakMb'));
    figures.add(`upload_${f.format}_vs_bare_ratio`, '×', pairedRatios(of(real, 'rowsPerS'), of(bare, 'rowsPerS')), { verdictOf: (m) => atLeast(m, 0.5) });
    const bareCpu = summarize(of(bare, 'cpuUsPerRow')).median;
    figures.add(`upload_${f.format}_cpu_us_per_row`, 'µs', of(real, 'cpuUsPerRow'), { note: `worker CPU (all threads) per row; bare pass ${us(bareCpu)}` });
    figures.add(`upload_${f.format}_cpu_vs_bare_ratio`, '×', pairedRatios(of(real, 'cpuUsPerRow'), of(bare, 'cpuUsPerRow')), { note: 'CPU per row, worker over bare pass' });
    if (indexed.length) {
      figures.add(`upload_${f.format}_indexed_bare_rows_per_s`, 'rows/s', of(indexed, 'rowsPerS'), {
        note: `bare pass + the store's 7 sort-index members per row (one ZADD per index per batch), ${what}`,
      });
      figures.add(`upload_${f.format}_indexed_bare_vs_bare_ratio`, '×', pairedRatios(of(indexed, 'rowsPerS'), of(bare, 'rowsPerS')), {
        note: `the ceiling of upload_${f.format}_vs_bare_ratio for any import that keeps the sort indexes`,
      });
      figures.add(`upload_${f.format}_vs_indexed_bare_ratio`, '×', pairedRatios(of(real, 'rowsPerS'), of(indexed, 'rowsPerS')), {
        note: 'process_bulk_upload over that floor',
      });
    }
  }

  const large: FileSpec = { format: 'csv', rows: opts.upload.largeCsvRows, path: join(ctx.tmpDir, 'campaigns-large.csv') };
  await writeCampaignCsv(large.path, large.rows);
  ctx.log(`upload: large csv with ${large.rows} rows, ${(statSync(large.path).size / 1e6).toFixed(1)} MB`);
  const ratios: number[] = [];
  try {
    for (let r = 0; r < opts.upload.largeRounds; r++) {
      const pass = await workerPass(ctx, large, `${ctx.basePrefix}.uplarge${r}`);
      ratios.push(pass.peakMb / smallCsvPeakMb);
      ctx.log(`upload: large csv round ${r + 1}: ${pass.rowsPerS.toFixed(0)} rows/s, ${pass.peakMb.toFixed(0)} MB peak`);
    }
  } finally {
    rmSync(large.path, { force: true });
  }
  figures.add('upload_csv_large_vs_small_rss', '×', ratios, {
    // A --quick pair (thousands of rows) stays near the idle worker's RSS, below where the heap cap holds it
    // flat: the ratio is reported there, but judged only at full size.
    ...(opts.quick ? {} : { verdictOf: (m: number) => atMost(m, 1.1) }),
    note: `upload memory is constant: worker VmHWM, ${large.rows.toLocaleString('en-US')} over ${files[0]!.rows.toLocaleString('en-US')} CSV rows${opts.quick ? ' (judged in full runs only)' : ''}`,
  });
}
