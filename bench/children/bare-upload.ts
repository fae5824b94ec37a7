import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { indexMembers, SORT_FIELDS, type IndexedFields } from '../../services/src/domain/campaign-store';
import { appKeys } from '../../services/src/lib/keys';
import type { CellValue } from '../../services/src/uploads/columns';
import { csvRows, detectDelimiter, xlsxRows } from '../../services/src/uploads/readers';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { UploadStore } from '../../services/src/storage/upload-store';
import { memoryKb } from '../proc-status';

const text = (v: CellValue): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v ?? ''));

/** The sort fields of one row, found by the header's own names (the bench's files use the field names). */
function indexedFields(header: readonly CellValue[], cells: readonly CellValue[], id: string, createdAt: string): IndexedFields {
  const cell = (name: string) => cells[header.indexOf(name)];
  return {
    id,
    name: text(cell('name')),
    start_date: text(cell('start_date')),
    end_date: text(cell('end_date')),
    budget: Number(cell('budget')),
    spend: Number(cell('spend')),
    revenue: Number(cell('revenue')),
    created_at: createdAt,
  };
}

/**
 * The baseline for process_bulk_upload: the same reader (csv-parse / ExcelJS streaming, as pca-agent
 * configures them) over the same upload in Redis, and every row written with a pipelined SET in batches
 * of 500, one batch in flight while the next is parsed. No header mapping, validation or indexes.
 *
 * With BENCH_SORT_INDEXES=1 each batch also adds every row's members to the campaign store's seven sort
 * indexes, one ZADD per index per batch (the cheapest way to keep them): the floor of any import that
 * keeps those indexes, with nothing else of the importer's work (no validation, record or staging).
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
  const sortIndexes = process.env.BENCH_SORT_INDEXES === '1';
  const indexKeys = SORT_FIELDS.map((f) => appKeys(prefix).campaignIndex(f));
  // ZADD's arguments per index for the batch being built: score, member, score, member…
  let members: string[][] = indexKeys.map(() => []);
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
  let header: CellValue[] | undefined;
  const createdAt = new Date().toISOString();
  const flush = async () => {
    await writing;
    if (pending === 0) return;
    if (sortIndexes) {
      indexKeys.forEach((key, i) => pipeline.zadd(key, ...members[i]!));
      members = indexKeys.map(() => []);
    }
    const p = pipeline;
    pipeline = redis.pipeline();
    pending = 0;
    writing = p.exec();
  };
  for await (const { row, cells } of rows) {
    if (!header) {
      header = cells;
      continue;
    }
    pipeline.set(`${prefix}:bare-row:${row}`, JSON.stringify(cells));
    if (sortIndexes) indexMembers(indexedFields(header, cells, `bare-${row}`, createdAt)).forEach((m, i) => members[i]!.push('0', m));
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
