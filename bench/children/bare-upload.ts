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

/** Reads one row's sort fields by the header's own names (the bench's files use the field names), looked up once. */
function sortFieldsReader(header: readonly CellValue[], createdAt: string): (cells: readonly CellValue[], id: string) => IndexedFields {
  const at = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`the bench file has no ${name} column`);
    return i;
  };
  const [name, start, end, budget, spend, revenue] = ['name', 'start_date', 'end_date', 'budget', 'spend', 'revenue'].map(at) as [number, number, number, number, number, number];
  return (cells, id) => ({
    id,
    name: text(cells[name]),
    start_date: text(cells[start]),
    end_date: text(cells[end]),
    budget: Number(cells[budget]),
    spend: Number(cells[spend]),
    revenue: Number(cells[revenue]),
    created_at: createdAt,
  });
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
  let sortFields: ((cells: readonly CellValue[], id: string) => IndexedFields) | undefined;
  let header = true;
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
    if (header) {
      header = false;
      if (sortIndexes) sortFields = sortFieldsReader(cells, new Date().toISOString());
      continue;
    }
    pipeline.set(`${prefix}:bare-row:${row}`, JSON.stringify(cells));
    if (sortIndexes) indexMembers(sortFields!(cells, `bare-${row}`)).forEach((m, i) => members[i]!.push('0', m));
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
