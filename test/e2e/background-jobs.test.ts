import ExcelJS from 'exceljs';
import { Redis } from 'ioredis';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { JOB_NAMES } from '../../services/src/queues/contract';
import { DATASET } from '../helpers/campaign-fixtures';
import { pdfText } from '../helpers/pdf-text';
import { RoleProcess, startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

// Built JS in dist/ (npm test builds first): API and worker as real child processes sharing only Redis.
jest.setTimeout(90_000);

const KEY = 'e2e-key-0123456789';
const redis = new Redis(REDIS_URL);
const prefix = testPrefix('e2e');
const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS: KEY, UPLOAD_MAX_BYTES: '4096', RATE_LIMIT_PER_MINUTE: '10000', HEALTH_MIN_WORKERS: '1' };
let api: ApiHandle;
let worker: WorkerHandle;

beforeAll(async () => {
  await new CampaignStore(redis, prefix).upsertMany(DATASET);
  [api, worker] = await Promise.all([startApiProcess(env), startWorkerProcess(env)]);
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), worker?.proc.stop()]);
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${api.url}${path}`, { ...init, headers: { 'x-api-key': KEY, ...(init.body && typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}), ...init.headers } });

async function finished(statusUrl: string) {
  return waitFor(`task ${statusUrl}`, async () => {
    const body = (await (await call(statusUrl)).json()) as { status: string };
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  }, 30_000) as Promise<Record<string, any>>;
}

test('analyze-async: 202, then the completed result through the task API', async () => {
  const res = await call('/api/v1/analyze-async', { method: 'POST', body: JSON.stringify({ channel: 'search' }) });
  expect(res.status).toBe(202);
  const accepted = (await res.json()) as { task_id: string; status: string; status_url: string };
  expect(accepted).toMatchObject({ status: 'waiting', status_url: `/api/v1/tasks/${accepted.task_id}` });
  expect(res.headers.get('location')).toBe(accepted.status_url);
  const task = await finished(accepted.status_url);
  expect(task).toMatchObject({ task_id: accepted.task_id, name: 'generate_campaign_report', status: 'completed', progress: 100, error: null });
  expect(task.result.report.totals).toMatchObject({ campaigns: 2, spend: 1400, revenue: 2450 });
  expect(Date.parse(task.finished_at)).toBeGreaterThanOrEqual(Date.parse(task.started_at));
});

test('analyze-async with no body at all reports over every stored campaign', async () => {
  const res = await call('/api/v1/analyze-async', { method: 'POST' });
  expect(res.status).toBe(202);
  const task = await finished(((await res.json()) as { status_url: string }).status_url);
  expect(task.status).toBe('completed');
  expect(task.result.report.totals.campaigns).toBe(DATASET.length);
});

test('the task operations are in the OpenAPI document', async () => {
  const doc = (await (await fetch(`${api.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
    '/api/v1/analyze-async', '/api/v1/tasks/{task_id}', '/api/v1/uploads', '/api/v1/reports', '/api/v1/reports/{report_id}', '/api/v1/system/health',
  ]));
  expect(Object.keys((doc.paths['/api/v1/uploads']!.post as { requestBody: { content: object } }).requestBody.content)).toEqual(['multipart/form-data']);

  // Each job's result is documented from the contract's schema, one variant per job name.
  type Variant = { properties: { name: { const: string }; result: { anyOf: [{ properties: Record<string, unknown> }, unknown] } } };
  const get = doc.paths['/api/v1/tasks/{task_id}']!.get as { responses: { 200: { content: { 'application/json': { schema: { oneOf: Variant[] } } } } } };
  const variants = get.responses[200].content['application/json'].schema.oneOf;
  const resultFields = Object.fromEntries(variants.map((v) => [v.properties.name.const, Object.keys(v.properties.result.anyOf[0].properties)]));
  expect(Object.keys(resultFields).sort()).toEqual(JOB_NAMES.slice().sort());
  expect(resultFields.generate_campaign_report).toEqual(expect.arrayContaining(['report_id', 'download_url', 'report']));
  expect(resultFields.process_bulk_upload).toEqual(expect.arrayContaining(['rows_imported', 'errors']));
  expect(resultFields.health_check).toEqual(expect.arrayContaining(['status', 'queues', 'failures']));
});

test('task ids are validated before Redis and unknown ones are 404', async () => {
  expect((await call('/api/v1/tasks/not:valid')).status).toBe(400);
  expect((await call(`/api/v1/tasks/${'x'.repeat(65)}`)).status).toBe(400);
  expect((await call('/api/v1/tasks/0123456789abcdef')).status).toBe(404);
  expect((await call('/api/v1/analyze-async', { method: 'POST', body: JSON.stringify({ channel: 'radio' }) })).status).toBe(400);
});

test('upload: 415 and 413 before anything is queued; a CSV becomes a summary', async () => {
  const waitingBefore = await redis.llen(`${prefix}:bull:uploads:wait`);
  const form = (name: string, content: string | Uint8Array, type: string) => {
    const f = new FormData();
    f.append('file', new Blob([content], { type }), name);
    return f;
  };
  const png = await call('/api/v1/uploads', { method: 'POST', body: form('x.png', 'abc', 'image/png') });
  expect(png.status).toBe(415);
  expect(png.headers.get('content-type')).toContain('application/problem+json');
  expect((await call('/api/v1/uploads', { method: 'POST', body: form('x.csv', 'abc', 'image/png') })).status).toBe(415);
  expect((await call('/api/v1/uploads', { method: 'POST', body: form('big.csv', 'x'.repeat(5000), 'text/csv') })).status).toBe(413);
  expect(await redis.llen(`${prefix}:bull:uploads:wait`)).toBe(waitingBefore);
  expect(await redis.keys(`${prefix}:upload:*`)).toEqual([]);

  const csv = 'Name,Channel,Start Date,End Date,Budget,Spend\nE2E one,email,2026-01-01,2026-01-31,100,10\nBad,email,2026-01-01,2026-01-31,-5,0\n';
  const res = await call('/api/v1/uploads', { method: 'POST', body: form('campaigns.csv', csv, 'text/csv') });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { status_url: string; upload_id: string };
  const task = await finished(body.status_url);
  expect(task.result).toMatchObject({ upload_id: body.upload_id, filename: 'campaigns.csv', rows_total: 2, rows_imported: 1, rows_invalid: 1 });
  expect(task.result.errors).toEqual([{ row: 3, column: 'Budget', reason: expect.stringContaining('>=0') }]);
});

test('PDF and XLSX reports: generated, downloaded with the right headers, readable', async () => {
  const start = async (format: string) => {
    // the fixture's four campaigns only (the upload test adds one)
    const res = await call('/api/v1/reports', { method: 'POST', body: JSON.stringify({ format, campaign_ids: ['A', 'B', 'C', 'D'] }) });
    expect(res.status).toBe(202);
    return finished(((await res.json()) as { status_url: string }).status_url);
  };
  const [pdfTask, xlsxTask] = await Promise.all([start('pdf'), start('xlsx')]);
  expect(pdfTask.result.download_url).toBe(`/api/v1/reports/${pdfTask.result.report_id}`);

  const pdf = await call(pdfTask.result.download_url);
  expect(pdf.status).toBe(200);
  expect(pdf.headers.get('content-type')).toBe('application/pdf');
  expect(pdf.headers.get('content-disposition')).toMatch(/^attachment; filename="campaign-report-.*\.pdf"$/);
  const text = (await pdfText(Buffer.from(await pdf.arrayBuffer()))).text.replace(/\s+/g, ' ');
  expect(text).toContain('USD 2,650.00');

  const xlsx = await call(xlsxTask.result.download_url);
  expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await xlsx.arrayBuffer());
  expect(wb.getWorksheet('Channels')!.getRow(2).getCell(4).value).toBe(1400);

  // once cleaned up, the download is gone
  await redis.del(`${prefix}:artifact:${pdfTask.result.report_id}`, `${prefix}:artifact-meta:${pdfTask.result.report_id}`);
  expect((await call(pdfTask.result.download_url)).status).toBe(404);
});

test('health_check through `task` (queued, waits for the worker), then GET /api/v1/system/health', async () => {
  expect((await call('/api/v1/system/health')).status).toBe(404);
  const task = new RoleProcess('task', env, ['health_check', '--timeout', '30']);
  const exit = await task.exited;
  expect(task.stderr).toBe('');
  expect(exit.code).toBe(0);
  expect(task.stdout.trim().split('\n')).toHaveLength(1);
  expect(task.stdout).toMatch(/^health_check \w+ completed in [\d.]+s: \{"status":"ok"/);
  const health = (await (await call('/api/v1/system/health')).json()) as Record<string, any>;
  expect(health.status).toBe('ok');
  expect(health.queues.reports.workers).toBeGreaterThanOrEqual(1);

  const metrics = await (await fetch(`${worker.url}/metrics`)).text();
  expect(metrics).toContain('pca_jobs_completed_total{queue="maintenance",job="health_check"} 1');
  expect(metrics).toMatch(/pca_jobs_completed_total\{queue="uploads",job="process_bulk_upload"\} 1/);
});
