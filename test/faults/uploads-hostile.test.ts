import { randomBytes } from 'node:crypto';
import AdmZip from 'adm-zip';
import ExcelJS from 'exceljs';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { rssOf, startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { auth, queueFixture, roleEnv, type QueueFixture } from './support';

jest.setTimeout(120_000);

let fx: QueueFixture;
let api: ApiHandle;
let worker: WorkerHandle;
let store: CampaignStore;

beforeAll(async () => {
  fx = queueFixture('f-upl');
  store = new CampaignStore(fx.redis, fx.prefix);
  const env = roleEnv(fx.prefix);
  [api, worker] = await Promise.all([startApiProcess(env), startWorkerProcess({ ...env, WORKER_QUEUES: 'uploads,reports' })]);
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), worker?.proc.stop()]);
  await fx.close();
});

const HEADER = 'name,channel,status,start_date,end_date,budget,spend,impressions,clicks,conversions,revenue,currency';
const row = (name: string) => `${name},search,active,2026-06-01,2026-06-30,1000,500,10000,300,12,900,USD`;

interface Task {
  status: string;
  error: string | null;
  result: Record<string, unknown> | null;
}

async function upload(filename: string, body: Buffer, type: string): Promise<{ status: number; taskId?: string }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(body)], { type }), filename);
  const res = await fetch(`${api.url}/api/v1/uploads`, { method: 'POST', headers: auth(), body: form });
  const json = (await res.json()) as { task_id?: string };
  return { status: res.status, taskId: json.task_id };
}

async function finished(taskId: string): Promise<Task> {
  const task = await waitFor(`task ${taskId} finished`, async () => {
    const t = (await (await fetch(`${api.url}/api/v1/tasks/${taskId}`, { headers: auth() })).json()) as Task;
    return t.status === 'completed' || t.status === 'failed' ? t : undefined;
  }, 60_000, 100);
  // A finished task always carries its outcome; a bare "failed" or a null result means the API read the job
  // before it finished and its state after (see the report on services/src/api/routes/tasks.ts).
  expect({ status: task.status, outcome: task.status === 'failed' ? task.error !== 'failed' : task.result !== null }).toEqual({ status: task.status, outcome: true });
  return task;
}

/** Uploads, waits for the import and returns the task; asserts the store's count moved by `imported`. */
async function importFile(filename: string, body: Buffer, type: string, imported = 0): Promise<Task> {
  const before = await store.count();
  const up = await upload(filename, body, type);
  expect(up.status).toBe(202);
  const task = await finished(up.taskId!);
  expect(await store.count()).toBe(before + imported);
  expect(worker.proc.running).toBe(true);
  return task;
}

async function xlsx(rows: string[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Campaigns');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

test('binary garbage named .csv: the task fails at once with a clear message, nothing stored', async () => {
  const garbage = Buffer.concat([Buffer.from([0x00, 0x01, 0xff]), randomBytes(200_000)]);
  const task = await importFile('campaigns.csv', garbage, 'text/csv');
  expect(task.status).toBe('failed');
  expect(task.error).toMatch(/campaigns\.csv: the file is (binary|not UTF-8 text)/);
  const png = await importFile('photo.csv', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(1000)]), 'text/csv');
  expect(png.error).toMatch(/the file is a PNG image, not a CSV/);
});

test('a truncated XLSX fails with "broken", nothing stored', async () => {
  const full = await xlsx([HEADER.split(','), row('Good').split(',')]);
  const task = await importFile('cut.xlsx', full.subarray(0, Math.floor(full.length / 2)), XLSX_TYPE);
  expect(task.status).toBe('failed');
  expect(task.error).toMatch(/cut\.xlsx: the XLSX file is broken/);
});

test('a zip-bomb XLSX is refused from its central directory, before anything is inflated', async () => {
  const zip = new AdmZip();
  zip.addFile('[Content_Types].xml', Buffer.from('<?xml version="1.0"?><Types/>'));
  zip.addFile('xl/workbook.xml', Buffer.from('<?xml version="1.0"?><workbook/>'));
  zip.addFile('xl/worksheets/sheet1.xml', Buffer.alloc(300 * 1024 * 1024, 0x20)); // 300 MiB of spaces → ~300 KiB
  const bomb = zip.toBuffer();
  expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
  const rssBefore = await rssOf(worker.proc.pid);
  const task = await importFile('bomb.xlsx', bomb, XLSX_TYPE);
  expect(task.status).toBe('failed');
  expect(task.error).toMatch(/bomb\.xlsx: the XLSX file (looks like a ZIP bomb|expands to \d+ bytes, over the limit)/);
  // Not inflated: the worker's memory did not take the 300 MiB.
  const grown = (await rssOf(worker.proc.pid)) - rssBefore;
  expect(grown).toBeLessThan(100 * 1024 * 1024);
});

test('a CSV with a 10 MB single line fails with a clear parse error, nothing stored', async () => {
  const line = row(`Huge ${'x'.repeat(10 * 1024 * 1024)}`);
  const task = await importFile('long.csv', Buffer.from(`${HEADER}\n${line}\n`), 'text/csv');
  expect(task.status).toBe('failed');
  expect(task.error).toMatch(/long\.csv: the CSV cannot be parsed near line \d+/);
});

test('a UTF-8 BOM is understood; a Latin-1 byte is refused as "not UTF-8", not stored as mojibake', async () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${HEADER}\n${row('Café Crème')}\n${row('日本語キャンペーン')}\n`)]);
  const ok = await importFile('bom.csv', bom, 'text/csv', 2);
  expect(ok.status).toBe('completed');
  expect(ok.result).toMatchObject({ rows_imported: 2, rows_invalid: 0 });
  const names = (await store.list({ limit: 100 })).items.map((c) => c.name);
  expect(names).toEqual(expect.arrayContaining(['Café Crème', '日本語キャンペーン']));

  // "Café" saved as Latin-1: the é is the single byte 0xE9, invalid in UTF-8.
  const latin1Row = (name: string) => Buffer.from(row(`${name}\u0001`), 'latin1').map((b) => (b === 0x01 ? 0xe9 : b));
  const latin1 = Buffer.concat([Buffer.from(`${HEADER}\n`), latin1Row('Caf'), Buffer.from(`\n${row('Plain')}\n`)]);
  const bad = await importFile('latin1.csv', latin1, 'text/csv');
  expect(bad.status).toBe('failed');
  expect(bad.error).toMatch(/not UTF-8 text/);

  // The same byte far past the sniffed head: no replacement character may reach the store.
  const late = Buffer.concat([
    Buffer.from(`${HEADER}\n`),
    Buffer.from(Array.from({ length: 1500 }, (_, i) => row(`Filler ${i}`)).join('\n')),
    Buffer.from('\n'),
    latin1Row('Late caf'),
    Buffer.from('\n'),
  ]);
  const lateTask = await finished((await upload('late.csv', late, 'text/csv')).taskId!);
  const mojibake: string[] = [];
  for await (const chunk of store.iterate()) mojibake.push(...chunk.map((c) => c.name).filter((n) => n.includes('\uFFFD')));
  // Either outcome is clear: the file refused as not UTF-8, or that one row reported invalid for its encoding.
  const errors = ((lateTask.result?.errors ?? []) as { row: number; reason: string }[]).filter((e) => /UTF-8/.test(e.reason));
  const clear = lateTask.status === 'failed' ? /not UTF-8/.test(lateTask.error ?? '') : errors.some((e) => e.row === 1502);
  expect({ clear, mojibake }).toEqual({ clear: true, mojibake: [] });
});

test('formula-injection cells are stored as text and reach the XLSX report as text, never as formulas', async () => {
  const evil = ['=HYPERLINK("http://evil.test","click")', '+1+cmd|calc', '-2+3', '@SUM(A1:A9)', '=1+1'];
  const csv = `${HEADER}\n${evil.map((n) => row(`"${n.replace(/"/g, '""')}"`)).join('\n')}\n`;
  const task = await importFile('formulas.csv', Buffer.from(csv), 'text/csv', evil.length);
  expect(task.result).toMatchObject({ rows_imported: evil.length });

  const res = await fetch(`${api.url}/api/v1/reports`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ format: 'xlsx' }) });
  expect(res.status).toBe(202);
  const report = await finished(((await res.json()) as { task_id: string }).task_id);
  expect(report.status).toBe('completed');
  const file = await fetch(`${api.url}${(report.result as { download_url: string }).download_url}`, { headers: auth() });
  expect(file.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await file.arrayBuffer());
  const cells: ExcelJS.Cell[] = [];
  wb.eachSheet((ws) => ws.eachRow((r) => r.eachCell((c) => cells.push(c))));
  expect(cells.filter((c) => c.type === ExcelJS.ValueType.Formula || c.formula)).toEqual([]);
  for (const name of evil) {
    const hit = cells.filter((c) => c.value === name);
    expect({ name, found: hit.length > 0 }).toEqual({ name, found: true });
    for (const c of hit) expect({ name, type: c.type, numFmt: c.numFmt }).toEqual({ name, type: ExcelJS.ValueType.String, numFmt: '@' });
  }
});

/** Rewrites the declared uncompressed size of one entry (central directory and local header) to `declared`. */
function lieAboutSize(zip: Buffer, entry: string, declared: number): Buffer {
  const out = Buffer.from(zip);
  let eocd = out.length - 22;
  while (eocd >= 0 && out.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  const count = out.readUInt16LE(eocd + 10);
  let p = out.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    const nameLen = out.readUInt16LE(p + 28);
    const name = out.toString('utf8', p + 46, p + 46 + nameLen);
    if (name === entry) {
      out.writeUInt32LE(declared, p + 24);
      out.writeUInt32LE(declared, out.readUInt32LE(p + 42) + 22);
      return out;
    }
    p += 46 + nameLen + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32);
  }
  throw new Error(`no entry ${entry}`);
}

test('a zip bomb whose headers lie about its sizes is stopped while inflating, and the worker survives', async () => {
  const zip = new AdmZip(await xlsx([HEADER.split(','), row('Good').split(',')]));
  const entry = zip.getEntries().find((e) => e.entryName === 'xl/sharedStrings.xml');
  expect(entry).toBeDefined();
  // ~40 MiB of shared strings (held in memory by the reader) that the central directory calls 4 KiB.
  const si = '<si><t>x</t></si>';
  const count = Math.floor((40 * 1024 * 1024) / si.length);
  zip.updateFile(entry!, Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${count}" uniqueCount="${count}">${si.repeat(count)}</sst>`));
  const bomb = lieAboutSize(zip.toBuffer(), 'xl/sharedStrings.xml', 4096);
  expect(bomb.length).toBeLessThan(2 * 1024 * 1024);

  const own = await startWorkerProcess({ ...roleEnv(fx.prefix), WORKER_QUEUES: 'uploads', NODE_OPTIONS: '--max-old-space-size=256' });
  try {
    await worker.proc.stop(); // only the capped worker may take the job
    const rssBefore = await rssOf(own.proc.pid);
    const up = await upload('liar.xlsx', bomb, XLSX_TYPE);
    expect(up.status).toBe(202);
    const task = await finished(up.taskId!);
    const grown = (await rssOf(own.proc.pid)) - rssBefore;
    expect({ alive: own.proc.running, status: task.status }).toEqual({ alive: true, status: 'failed' });
    expect(task.error).toMatch(/liar\.xlsx: the XLSX file (looks like a ZIP bomb|expands|is broken)/);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
  } finally {
    await own.proc.stop();
  }
});
