import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { csvRows, detectDelimiter, xlsxRows } from '../../services/src/uploads/readers';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { UploadStore } from '../../services/src/storage/upload-store';
import { memoryKb } from '../proc-status';

/**
 * The baseline for process_bulk_upload: the same reader (csv-parse / ExcelJS streaming, as pca-agent
 * configures them) over the same upload in Redis, and every row written with a pipelined SET in batches
 * of 500, one batch in flight while the next is parsed. No header mapping, validation or indexes.
 */
async function main(): Promise<void> {
  const env = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const prefix = env('REDIS_KEY_PREFIX');
  const id = env('BENCH_UPLOAD_ID');
  const format = env('BENCH_FORMAT');
  const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
  const idle = memoryKb();
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  // the same blob store the worker children read (BLOB_FS_DIR, default .data/blobs)
  const uploads = new UploadStore(new FsBlobStore(process.env.BLOB_FS_DIR ?? '.data/blobs'), prefix, { maxBytes: Number.MAX_SAFE_INTEGER, ttlSeconds: 3600 });
  const head = await uploads.readRange(id, 0, 64 * 1024 - 1);
  const input = await uploads.open(id);
  const rows = format === 'csv' ? csvRows(input, detectDelimiter(head)) : xlsxRows(input);
  let writing: Promise<unknown> = Promise.resolve();
  let pipeline = redis.pipeline();
  let pending = 0;
  let total = 0;
  let header = true;
  const flush = async () => {
    await writing;
    if (pending === 0) return;
    const p = pipeline;
    pipeline = redis.pipeline();
    pending = 0;
    writing = p.exec();
  };
  for await (const { row, cells } of rows) {
    if (header) {
      header = false;
      continue;
    }
    pipeline.set(`${prefix}:bare-row:${row}`, JSON.stringify(cells));
    pending++;
    total++;
    if (pending >= 500) await flush();
  }
  await flush();
  await writing;
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  process.send?.({ kind: 'done', rows: total, ms, cpu_us: cpu.user + cpu.system, memory_kb: { ...memoryKb() }, idle_memory_kb: { ...idle } });
  await redis.quit();
}

main().then(
  () => process.disconnect?.(),
  (err: unknown) => {
    process.stderr.write(`bare-upload: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
