import { createHash } from 'node:crypto';
import AdmZip from 'adm-zip';
import { UnrecoverableError } from 'bullmq';
import ExcelJS from 'exceljs';
import { UploadImports } from '../../services/src/storage/upload-imports';
import { processBulkUpload } from '../../services/src/workers/process-bulk-upload';
import { runJob } from '../../services/src/workers/processors';
import { fakeJob, jobTestEnv, type JobTestEnv } from '../helpers/jobs';

let env: JobTestEnv;
afterEach(() => env.close());

// row ids derive from the upload, not the job: a duplicated job writes the same rows
const idPrefix = (uploadId: string) => `u${createHash('sha256').update(uploadId).digest('hex').slice(0, 16)}`;

async function upload(body: Buffer | string, format: 'csv' | 'xlsx', jobId = 'job-1', filename = `f.${format}`) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  await env.ctx.uploads.write('up1', [buf]);
  return processBulkUpload(fakeJob('process_bulk_upload', { upload_id: 'up1', filename, format, size: buf.length }, jobId), env.ctx);
}

async function storedKeys(): Promise<string[]> {
  return env.redis.keys(`${env.prefix}:campaign*`);
}

async function xlsx(rows: unknown[][], edit?: (ws: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Campaigns');
  rows.forEach((r) => ws.addRow(r));
  edit?.(ws);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const MIXED_CSV = [
  'Campaign Name,channel,START DATE,end_date,Budget,Cost,Impr,Clicks,Conversions,Revenue,Notes',
  'Spring sale,Search,2026-03-01,2026-03-31,1000,250.5,10000,300,12,900,ok', // 2 good
  'TV test,tv,2026-03-01,2026-03-31,1000,1,1,1,1,1,', // 3 bad channel
  'Bad budget,social,2026-03-01,2026-03-31,abc,1,1,1,1,1,', // 4 not a number
  ',email,2026-03-01,2026-03-31,10,1,1,1,1,1,', // 5 name missing
  'Backwards,email,2026-04-01,2026-03-01,10,1,1,1,1,1,', // 6 dates reversed
  '"Quoted, name",display,2026-03-05,2026-03-20,"1,234.50",$12,500,5,0,0,', // 7 good
].join('\n');

describe('CSV uploads', () => {
  beforeEach(() => {
    env = jobTestEnv('upl-csv');
  });

  test('mixed rows: good rows stored, bad rows reported with row, column and reason', async () => {
    const summary = await upload(MIXED_CSV, 'csv');
    expect(summary).toMatchObject({ rows_total: 6, rows_imported: 2, rows_invalid: 4, errors_total: 4, errors_truncated: false });
    expect(summary.errors).toEqual([
      { row: 3, column: 'channel', reason: expect.stringContaining('expected one of') },
      { row: 4, column: 'Budget', reason: 'not a number: "abc"' },
      { row: 5, column: 'Campaign Name', reason: 'required' },
      { row: 6, column: 'end_date', reason: 'end_date must not be before start_date' },
    ]);
    expect(summary.columns).toMatchObject({ 'Campaign Name': 'name', 'START DATE': 'start_date', Cost: 'spend', Impr: 'impressions' });
    expect(summary.ignored_columns).toEqual(['Notes']);

    const p = idPrefix('up1');
    expect(await env.ctx.store.get(`${p}-2`)).toMatchObject({ name: 'Spring sale', channel: 'search', spend: 250.5, status: 'active', currency: 'USD' });
    expect(await env.ctx.store.get(`${p}-7`)).toMatchObject({ name: 'Quoted, name', budget: 1234.5, spend: 12 });
    expect(await env.ctx.store.count()).toBe(2);
  });

  test('a retried or duplicated job (another job id) returns the earlier result and writes nothing again', async () => {
    const first = await upload(MIXED_CSV, 'csv', 'job-7');
    const stored = await env.ctx.store.get(`${idPrefix('up1')}-2`);
    const again = await processBulkUpload(fakeJob('process_bulk_upload', { upload_id: 'up1', filename: 'f.csv', format: 'csv', size: 1 }, 'job-8'), env.ctx);
    expect(again).toEqual(first);
    expect(await env.ctx.store.count()).toBe(2);
    expect(await env.ctx.store.get(`${idPrefix('up1')}-2`)).toEqual(stored); // not even rewritten
    // the input expires; a manual retry still returns the earlier result instead of failing
    await env.ctx.uploads.delete('up1');
    expect(await processBulkUpload(fakeJob('process_bulk_upload', { upload_id: 'up1', filename: 'f.csv', format: 'csv', size: 1 }, 'job-7'), env.ctx)).toEqual(first);
  });

  test('a file-level error after earlier batches imports nothing and says where it broke', async () => {
    const lines = ['name,channel,start_date,end_date,budget,spend'];
    for (let i = 0; i < 1200; i++) lines.push(`C${i},search,2026-01-01,2026-01-31,100,1`);
    lines.push('"unclosed,search,2026-01-01,2026-01-31,100,1', 'after,search,2026-01-01,2026-01-31,100,1');
    const err = await upload(lines.join('\n'), 'csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^f\.csv: the CSV cannot be parsed near line \d+: .*; nothing was imported$/);
    expect(await env.ctx.store.count()).toBe(0);
    expect(await env.redis.keys(`${env.prefix}:upload-stage:*`)).toEqual([]);
    expect(await env.ctx.imports.state('up1')).toBeNull();
  });

  test('a commit interrupted by a crash is resumed by the retry: every row, once', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => ({
      id: `cmp-${i}`, name: `C${i}`, channel: 'search' as const, start_date: '2026-01-01', end_date: '2026-01-31', budget: 1, spend: 1,
      impressions: 0, clicks: 0, conversions: 0, revenue: 0, status: 'active' as const, currency: 'USD',
    }));
    // what a worker killed mid-commit leaves: the stage, the journal, and part of the rows in the store
    await env.ctx.imports.stager('up9').upsertMany(rows);
    await env.redis.set(`${env.prefix}:upload-state:up9`, JSON.stringify({ status: 'committing', summary: { upload_id: 'up9', rows_imported: 1200 } }));
    await env.ctx.store.upsertMany(rows.slice(0, 300));
    const summary = await processBulkUpload(fakeJob('process_bulk_upload', { upload_id: 'up9', filename: 'x.csv', format: 'csv', size: 1 }, 'retry'), env.ctx);
    expect(summary).toEqual({ upload_id: 'up9', rows_imported: 1200 });
    expect(await env.ctx.store.count()).toBe(1200);
    expect((await env.ctx.imports.state('up9'))?.status).toBe('imported');
    expect(await env.redis.exists(`${env.prefix}:upload-stage:up9`)).toBe(0);
  });

  test('a deadline that falls inside a begun commit waits for it: the attempt returns the summary, every row stored', async () => {
    await env.close();
    env = jobTestEnv('upl-deadline', { JOB_TIMEOUT_PROCESS_BULK_UPLOAD: '1' });
    // The commit is held until well past the 1 s deadline (the staging before it takes milliseconds).
    const released = new Promise((resolve) => setTimeout(resolve, 1600));
    const store = env.ctx.store;
    const imports = new UploadImports(env.redis, env.prefix, {
      stagedForms: (rows) => store.stagedForms(rows),
      commitStaged: async (rows) => {
        await released;
        return store.commitStaged(rows);
      },
    });
    const csv = ['name,channel,start_date,end_date,budget', ...Array.from({ length: 1200 }, (_, i) => `C${i},email,2026-01-01,2026-01-31,1`)].join('\n');
    await env.ctx.uploads.write('up1', [Buffer.from(csv)]);
    const job = { ...fakeJob('process_bulk_upload', { upload_id: 'up1', filename: 'f.csv', format: 'csv', size: csv.length }), updateProgress: async () => undefined };
    const started = Date.now();
    const summary = await runJob(job, { ...env.ctx, imports });
    expect(Date.now() - started).toBeGreaterThan(1000); // the deadline did pass during the commit
    expect(summary).toMatchObject({ rows_total: 1200, rows_imported: 1200 });
    expect(await env.ctx.store.count()).toBe(1200);
    expect((await env.ctx.imports.state('up1'))?.status).toBe('imported');
  });

  test('a row whose bytes are not UTF-8 past the sniffed head is reported, never stored as mojibake', async () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `Filler ${i},email,2026-01-01,2026-01-31,1`).join('\n');
    const late = Buffer.concat([Buffer.from(`name,channel,start_date,end_date,budget\n${filler}\nCaf`), Buffer.from([0xe9]), Buffer.from(',email,2026-01-01,2026-01-31,1\n')]);
    expect(late.length).toBeGreaterThan(64 * 1024);
    const summary = await upload(late, 'csv');
    expect(summary).toMatchObject({ rows_total: 3001, rows_imported: 3000, rows_invalid: 1 });
    expect(summary.errors).toEqual([{ row: 3002, column: 'name', reason: expect.stringContaining('not valid UTF-8') }]);
  });

  test('semicolon-separated files and explicit ids work', async () => {
    const csv = 'id;name;channel;start;end;budget\nmy-1;A;email;2026-01-01;2026-01-31;5\n';
    const summary = await upload(csv, 'csv');
    expect(summary.rows_imported).toBe(1);
    expect(await env.ctx.store.get('my-1')).toMatchObject({ name: 'A', budget: 5 });
  });

  test.each([
    ['empty file', '', /the file is empty/],
    ['header only', 'name,channel,start_date,end_date,budget\n', /no data rows/],
    ['missing required column', 'name,channel,start_date,budget\nA,search,2026-01-01,5\n', /missing required column end_date/],
    ['binary content', Buffer.concat([Buffer.from('name,channel\n'), Buffer.alloc(64, 0)]), /binary/],
    ['a PNG named .csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]), /PNG image, not a CSV/],
    ['not UTF-8', Buffer.from('name,channel,start_date,end_date,budget\nCaf\xe9,search,2026-01-01,2026-01-02,5\n', 'latin1'), /not UTF-8/],
  ])('fatal: %s fails at once, unrecoverable, and writes nothing', async (_what, body, message) => {
    const err = await upload(body, 'csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(message);
    expect(await storedKeys()).toEqual([]);
  });

  test('an expired upload never imported fails as an unrecoverable "input expired"', async () => {
    const job = fakeJob('process_bulk_upload', { upload_id: 'gone', filename: 'x.csv', format: 'csv' as const, size: 1 });
    const err = await processBulkUpload(job, env.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^x\.csv: input expired: upload gone is gone/);
  });
});

describe('XLSX uploads', () => {
  beforeEach(() => {
    env = jobTestEnv('upl-xlsx', { UPLOAD_MAX_UNCOMPRESSED_BYTES: String(8 * 1024 * 1024) });
  });

  test('typed cells (dates, numbers, formulas), aliases and bad rows with their row numbers', async () => {
    const file = await xlsx(
      [
        ['Name', 'Medium', 'Start Date', 'End Date', 'Total Budget', 'Spend', 'Clicks', 'Currency'],
        ['Summer', 'social', new Date(Date.UTC(2026, 5, 1)), new Date(Date.UTC(2026, 5, 30)), 2000, 150, 40, 'eur'],
        ['Broken', 'social', 'soon', new Date(Date.UTC(2026, 5, 30)), 100, 0, 0, 'EUR'],
        [],
        ['Winter', 'email', '2026-12-01', '2026-12-31', null, 0, -3, 'USD'],
        ['Formula', 'video', '2026-01-01', '2026-01-31', 0, 0, 0, 'USD'],
      ],
      (ws) => {
        ws.getCell('E6').value = { formula: '100*3', result: 300 };
      },
    );
    const summary = await upload(file, 'xlsx');
    expect(summary).toMatchObject({ rows_total: 4, rows_imported: 2, rows_invalid: 2 });
    expect(summary.errors).toEqual([
      { row: 3, column: 'Start Date', reason: expect.stringMatching(/date/i) },
      { row: 5, column: 'Total Budget', reason: 'required' },
      { row: 5, column: 'Clicks', reason: expect.stringContaining('>=0') },
    ]);
    const p = idPrefix('up1');
    expect(await env.ctx.store.get(`${p}-2`)).toMatchObject({ start_date: '2026-06-01', end_date: '2026-06-30', budget: 2000, currency: 'EUR' });
    expect(await env.ctx.store.get(`${p}-6`)).toMatchObject({ name: 'Formula', budget: 300 });
  });

  test.each([
    ['a truncated workbook', async () => (await xlsx([['name'], ['x']])).subarray(0, 300), /broken/],
    ['a CSV named .xlsx', async () => Buffer.from('name,channel\n'), /not an XLSX workbook/],
    ['a ZIP that is not a workbook', async () => {
      const zip = new AdmZip();
      zip.addFile('hello.txt', Buffer.from('hi'));
      return zip.toBuffer();
    }, /not an XLSX workbook/],
    ['a missing required column', async () => xlsx([['name', 'channel', 'budget'], ['a', 'search', 1]]), /missing required columns start_date, end_date/],
    ['a zip bomb', async () => {
      const zip = new AdmZip();
      zip.addFile('[Content_Types].xml', Buffer.from('<Types/>'));
      zip.addFile('xl/workbook.xml', Buffer.from('<workbook/>'));
      zip.addFile('xl/worksheets/sheet1.xml', Buffer.alloc(20 * 1024 * 1024, 0x20));
      return zip.toBuffer();
    }, /ZIP bomb/],
    ['a workbook expanding past the limit', async () => {
      const zip = new AdmZip();
      zip.addFile('[Content_Types].xml', Buffer.from('<Types/>'));
      zip.addFile('xl/workbook.xml', Buffer.from('<workbook/>'));
      // random hex: compresses only ~2×, so only the total-size limit catches it
      zip.addFile('xl/worksheets/sheet1.xml', Buffer.from(require('node:crypto').randomBytes(4.5 * 1024 * 1024).toString('hex')));
      return zip.toBuffer();
    }, /expands to \d+ bytes, over the limit/],
    ['a ZIP whose central directory lies about a size', async () => {
      const zip = new AdmZip(await xlsx([['name', 'channel', 'start_date', 'end_date', 'budget'], ['a', 'search', '2026-01-01', '2026-01-02', 1]]));
      const entry = zip.getEntries().find((e) => e.entryName === 'xl/worksheets/sheet1.xml')!;
      zip.updateFile(entry, Buffer.concat([entry.getData(), Buffer.alloc(3 * 1024 * 1024, 0x20)]));
      const out = zip.toBuffer();
      // rewrite the declared uncompressed size (central directory and local header) to 4 KiB
      let eocd = out.length - 22;
      while (out.readUInt32LE(eocd) !== 0x06054b50) eocd--;
      for (let p = out.readUInt32LE(eocd + 16), n = out.readUInt16LE(eocd + 10); n > 0; n--) {
        const nameLen = out.readUInt16LE(p + 28);
        if (out.toString('utf8', p + 46, p + 46 + nameLen) === entry.entryName) {
          out.writeUInt32LE(4096, p + 24);
          out.writeUInt32LE(4096, out.readUInt32LE(p + 42) + 22);
        }
        p += 46 + nameLen + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32);
      }
      return out;
    }, /broken: xl\/worksheets\/sheet1.xml inflates past its declared 4096 bytes/],
  ])('fatal: %s fails before anything is written', async (_what, make, message) => {
    const err = await upload(await make(), 'xlsx').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(message);
    expect(await storedKeys()).toEqual([]);
  });
});
