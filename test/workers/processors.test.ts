import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import ExcelJS from 'exceljs';
import { appKeys } from '../../services/src/lib/keys';
import { enqueue } from '../../services/src/queues/queues';
import { loadBenchmarks, loadSystemHealth } from '../../services/src/storage/json-records';
import { cleanupOldReports } from '../../services/src/workers/cleanup-old-reports';
import { generateCampaignReport } from '../../services/src/workers/generate-campaign-report';
import { generateExcelReport } from '../../services/src/workers/generate-excel-report';
import { generatePdfReport } from '../../services/src/workers/generate-pdf-report';
import { healthCheck } from '../../services/src/workers/health-check';
import { checkResult, runJob } from '../../services/src/workers/processors';
import { refreshBenchmarks } from '../../services/src/workers/refresh-benchmarks';
import { DATASET } from '../helpers/campaign-fixtures';
import { fakeJob, jobTestEnv, type JobTestEnv } from '../helpers/jobs';
import { pdfText } from '../helpers/pdf-text';

const DAY = 86_400_000;
let env: JobTestEnv;
let clock: Date;
afterEach(() => env.close());

function setup(name: string, vars: Record<string, string> = {}) {
  clock = new Date('2026-06-15T00:00:00Z');
  env = jobTestEnv(name, vars, () => clock);
}

describe('report jobs over stored campaigns', () => {
  beforeEach(async () => {
    setup('rep');
    await env.ctx.store.upsertMany(DATASET);
  });

  test('generate_campaign_report: filters, hand-computed numbers, progress, artifact; a retry returns the same one', async () => {
    const job = fakeJob('generate_campaign_report', { channel: 'search' as const }, 'task-1');
    const result = await generateCampaignReport(job, env.ctx);
    expect(result.report.totals).toMatchObject({ campaigns: 2, spend: 1400, revenue: 2450, clicks: 700 });
    expect(result.report.totals.kpis.roas).toBe(1.75);
    expect(result.report.filters).toEqual({ channel: 'search' });
    expect(result).toMatchObject({ report_id: 'rpt_task-1', format: 'json', download_url: '/api/v1/reports/rpt_task-1' });
    expect(job.progress.at(-1)).toBe(100);
    const stored = await env.ctx.artifacts.get('rpt_task-1');
    expect(JSON.parse(stored!.body.toString())).toEqual(result.report);

    expect(await generateCampaignReport(job, env.ctx)).toEqual(result);
    expect(await env.redis.zcard(appKeys(env.prefix).artifactIndex)).toBe(1);
  });

  test('date filters select overlapping flights; unknown ids give an empty report', async () => {
    const may = await generateCampaignReport(fakeJob('generate_campaign_report', { start_date: '2026-05-01', end_date: '2026-05-20' }, 'task-may'), env.ctx);
    expect(may.report.campaigns.map((c) => c.id)).toEqual(['C']);
    const none = await generateCampaignReport(fakeJob('generate_campaign_report', { campaign_ids: ['nope'] }, 'task-none'), env.ctx);
    expect(none.report.totals.campaigns).toBe(0);
  });

  test('the report uses the latest refreshed benchmarks', async () => {
    await refreshBenchmarks(fakeJob('refresh_benchmarks', {}), env.ctx);
    const { report } = await generateCampaignReport(fakeJob('generate_campaign_report', {}), env.ctx);
    expect(report.benchmarks.refreshed_at).toBe(clock.toISOString());
    const social = report.benchmarks.comparisons.find((c) => c.channel === 'social' && c.metric === 'roas');
    expect(social).toMatchObject({ value: 3, median: 3, position: 'equal', difference_pct: 0, assessment: 'in_line' });
  });

  test('generate_pdf_report and generate_excel_report store real files', async () => {
    const pdf = await generatePdfReport(fakeJob('generate_pdf_report', {}, 'p1'), env.ctx);
    expect(pdf).toMatchObject({ report_id: 'rpt_p1', format: 'pdf', content_type: 'application/pdf' });
    const pdfBody = (await env.ctx.artifacts.get('rpt_p1'))!.body;
    expect(pdf.size_bytes).toBe(pdfBody.length);
    expect((await pdfText(pdfBody)).text).toContain('Overspending: Campaign B');

    const xlsx = await generateExcelReport(fakeJob('generate_excel_report', { channel: 'social' as const }, 'x1'), env.ctx);
    expect(xlsx.filename).toMatch(/\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await env.ctx.artifacts.get('rpt_x1'))!.body as unknown as ArrayBuffer);
    expect(wb.getWorksheet('Campaigns')!.getRow(2).getCell(1).value).toBe('C');
    expect(wb.getWorksheet('Campaigns')!.rowCount).toBe(2);
  });

  test('an artifact over REPORT_MAX_BYTES fails the job', async () => {
    await env.close();
    setup('rep-max', { REPORT_MAX_BYTES: '1024' });
    await env.ctx.store.upsertMany(DATASET);
    await expect(generatePdfReport(fakeJob('generate_pdf_report', {}), env.ctx)).rejects.toThrow(/REPORT_MAX_BYTES=1024/);
  });
});

test('runJob re-validates the payload: bad input is unrecoverable', async () => {
  setup('payload');
  const bad = fakeJob('generate_campaign_report', { channel: 'radio' });
  await expect(runJob(bad, env.ctx)).rejects.toThrow(UnrecoverableError);
  await expect(runJob(bad, env.ctx)).rejects.toThrow(/channel/);
  await expect(runJob(fakeJob('no_such_job', {}), env.ctx)).rejects.toThrow(/unknown job name/);
});

test('a result is checked against the contract before BullMQ stores it: a mismatch is unrecoverable, extra fields are dropped', async () => {
  setup('result');
  const summary = await cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx);
  expect(checkResult('cleanup_old_reports', { ...summary, internal_buffer: 'x' })).toEqual(summary);
  const { cutoff: _cutoff, ...missing } = summary;
  expect(() => checkResult('cleanup_old_reports', missing)).toThrow(UnrecoverableError);
  expect(() => checkResult('cleanup_old_reports', missing)).toThrow(/cleanup_old_reports returned a result that does not match the contract: cutoff/);
  expect(() => checkResult('generate_pdf_report', { ...summary })).toThrow(/report_id/);
});

test('cleanup_old_reports removes exactly what is past retention, twice at once and on an empty store', async () => {
  setup('cleanup');
  expect((await cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx)).artifacts_removed).toBe(0);
  const put = async (id: string, ageDays: number) => {
    clock = new Date(Date.parse('2026-06-15T00:00:00Z') - ageDays * DAY);
    await env.ctx.artifacts.put(id, Buffer.from(id), { format: 'json', filename: `${id}.json`, job_id: id });
  };
  await put('old-1', 10);
  await put('old-2', 7.01);
  await put('edge', 6.99);
  await put('new', 0);
  clock = new Date('2026-06-15T00:00:00Z');

  const [a, b] = await Promise.all([
    cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx),
    cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx),
  ]);
  expect(a.artifacts_removed + b.artifacts_removed).toBe(2);
  expect([...a.removed_ids, ...b.removed_ids].sort()).toEqual(['old-1', 'old-2']);
  // bytes freed are counted once, by the run that removed each artifact ('old-1' + 'old-2' = 10 bytes)
  expect(a.bytes_freed + b.bytes_freed).toBe(10);
  expect(await env.ctx.blobs.stat(`${env.prefix}/artifacts/old-1`)).toBeNull();
  expect((await cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx)).bytes_freed).toBe(0);
  for (const id of ['old-1', 'old-2']) {
    expect(await env.ctx.artifacts.get(id)).toBeNull();
    expect(await env.redis.exists(appKeys(env.prefix).artifactMeta(id))).toBe(0);
  }
  expect(await env.ctx.artifacts.get('edge')).not.toBeNull();
  expect(await env.ctx.artifacts.get('new')).not.toBeNull();
  expect(a.cutoff).toBe('2026-06-08T00:00:00.000Z');
});

test('cleanup_old_reports trims finished jobs older than the retention', async () => {
  setup('cleanup-jobs', { REPORT_RETENTION_DAYS: '1' });
  const job = await enqueue(env.queues, 'refresh_benchmarks', {});
  // a completed job finished two days ago, as BullMQ records it
  const key = `${env.queues.maintenance.keys.completed}`;
  await env.redis.multi().lrem(env.queues.maintenance.keys.wait!, 0, job.id!).zadd(key, Date.now() - 2 * DAY, job.id!)
    .hset(`${env.queues.maintenance.toKey(job.id!)}`, 'finishedOn', String(Date.now() - 2 * DAY)).exec();
  clock = new Date();
  const result = await cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx);
  expect(result.jobs_removed.maintenance).toBe(1);
  expect(await env.queues.maintenance.getJob(job.id!)).toBeUndefined();
});

test('cleanup_old_reports removes what writes killed mid-way left after a day, never a write in flight or an object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pca-partials-'));
  setup('cleanup-partials', { BLOB_FS_DIR: dir });
  try {
    // A put killed mid-write leaves its temporary file: two such, a day and more old.
    const tmp = join(dir, '.tmp');
    mkdirSync(tmp, { recursive: true });
    const old = new Date(Date.now() - 2 * DAY);
    for (const name of ['a.part', 'b.part']) {
      writeFileSync(join(tmp, name), Buffer.alloc(1000));
      utimesSync(join(tmp, name), old, old);
    }
    // A put still writing (its body has not ended) and a finished object as old as the leftovers.
    let finish!: () => void;
    const body = (async function* slow() {
      yield Buffer.from('first half');
      await new Promise<void>((resolve) => (finish = resolve));
      yield Buffer.from(', second half');
    })();
    const inFlight = env.ctx.blobs.put(`${env.prefix}/uploads/slow`, body);
    await env.ctx.blobs.put(`${env.prefix}/elsewhere/done`, [Buffer.from('kept')]);
    const done = join(dir, env.prefix, 'elsewhere', 'done');
    utimesSync(done, old, old);
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(tmp).filter((n) => !['a.part', 'b.part'].includes(n))).toHaveLength(1);
    clock = new Date();
    const summary = await cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx);
    expect(summary).toMatchObject({ partial_writes_removed: 2, bytes_freed: 2000 });
    expect(readdirSync(tmp)).toHaveLength(1); // the write in flight
    finish();
    expect(await inFlight).toBe('first half, second half'.length);
    expect(readFileSync(done, 'utf8')).toBe('kept');
    expect((await cleanupOldReports(fakeJob('cleanup_old_reports', {}), env.ctx)).partial_writes_removed).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refresh_benchmarks: per-channel median, p25, p75 over the window on a known dataset', async () => {
  setup('bench', { BENCHMARK_WINDOW_DAYS: '30' });
  const base = DATASET[0]!;
  const roas = [1, 2, 3, 4];
  await env.ctx.store.upsertMany([
    ...roas.map((r, i) => ({ ...base, id: `s${i}`, spend: 100, revenue: 100 * r, impressions: 1000, clicks: 10 * (i + 1), conversions: i + 1 })),
    // outside the 30-day window (ended in March): ignored
    { ...base, id: 'old', start_date: '2026-03-01', end_date: '2026-03-31', spend: 100, revenue: 10_000 },
    // no spend: counted as a campaign, but no ROAS/CPC/CPA to contribute
    { ...base, id: 'free', channel: 'email' as const, spend: 0, revenue: 0, impressions: 100, clicks: 0, conversions: 0 },
  ]);
  const set = await refreshBenchmarks(fakeJob('refresh_benchmarks', {}), env.ctx);
  expect(set).toMatchObject({ refreshed_at: '2026-06-15T00:00:00.000Z', window_days: 30, window_start: '2026-05-16', campaigns: 5 });
  const search = set.channels.search!;
  expect(search.campaigns).toBe(4);
  expect(search.metrics.roas).toEqual({ p25: 1.75, median: 2.5, p75: 3.25, n: 4 });
  // CTR 1%, 2%, 3%, 4%; CPC 10, 5, 3.33, 2.5; CPA 100, 50, 33.3, 25
  expect(search.metrics.ctr!.median).toBeCloseTo(0.025, 9);
  expect(search.metrics.cpc!.median).toBeCloseTo((5 + 10 / 3) / 2, 9);
  expect(search.metrics.cpa!.p75).toBeCloseTo(50 + (100 - 50) * 0.25, 9);
  expect(search.metrics.conversion_rate!.median).toBeCloseTo(0.1, 9);
  expect(set.channels.email).toEqual({ campaigns: 1, metrics: { ctr: { p25: 0, median: 0, p75: 0, n: 1 } } });
  expect(await loadBenchmarks(env.redis, env.prefix)).toEqual(set);
});

describe('health_check', () => {
  test('passes within thresholds and stores the result', async () => {
    setup('health', { HEALTH_MIN_WORKERS: '0' });
    clock = new Date();
    const report = await healthCheck(fakeJob('health_check', {}), env.ctx);
    expect(report.status).toBe('ok');
    expect(Object.keys(report.queues)).toEqual(['reports', 'uploads', 'maintenance']);
    expect(report.redis.latency_ms).toBeGreaterThan(0);
    expect(await loadSystemHealth(env.redis, env.prefix)).toEqual(report);
  });

  test('fails past a threshold (backlog, oldest waiting, no workers), after storing why', async () => {
    setup('health-fail', { HEALTH_MAX_BACKLOG: '2', HEALTH_MAX_OLDEST_WAITING_SECONDS: '60' });
    for (let i = 0; i < 3; i++) await enqueue(env.queues, 'generate_campaign_report', {});
    clock = new Date(Date.now() + 120_000);
    const err = await healthCheck(fakeJob('health_check', {}), env.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toContain('reports: 3 jobs waiting > 2');
    const stored = (await loadSystemHealth(env.redis, env.prefix))!;
    expect(stored.status).toBe('fail');
    expect(stored.queues.reports).toMatchObject({ waiting: 3, workers: 0 });
    expect(stored.queues.reports!.oldest_waiting_seconds).toBeGreaterThanOrEqual(120);
    expect(stored.failures).toEqual(expect.arrayContaining([
      'reports: 3 jobs waiting > 2',
      expect.stringMatching(/^reports: oldest waiting job \d+ s > 60 s$/),
      'reports: 0 workers connected < 1 while jobs wait',
    ]));
  });

  test('no workers with empty queues is healthy (KEDA scaled them to zero); Redis memory headroom is reported', async () => {
    setup('health-zero', { HEALTH_MIN_WORKERS: '1' });
    clock = new Date();
    const report = await healthCheck(fakeJob('health_check', {}), env.ctx);
    expect(report.status).toBe('ok');
    for (const q of Object.values(report.queues)) expect(q.workers).toBe(0);
    expect(report.redis.used_memory_bytes).toBeGreaterThan(0);
    const info = await env.redis.info('memory');
    const max = Number(/^maxmemory:(\d+)/m.exec(info)![1]);
    expect(report.redis.maxmemory_bytes).toBe(max);
    expect(report.redis.memory_used_percent).toBe(max > 0 ? Math.round((report.redis.used_memory_bytes / max) * 1000) / 10 : null);
  });

  test('a Redis past its memory threshold fails the check (writes would soon be refused)', async () => {
    setup('health-mem', { HEALTH_MIN_WORKERS: '0', HEALTH_MAX_REDIS_MEMORY_PERCENT: '1' });
    const before = await env.redis.config('GET', 'maxmemory');
    // A maxmemory just above what is in use: well past 1%, and nothing is refused or evicted meanwhile.
    const used = Number(/^used_memory:(\d+)/m.exec(await env.redis.info('memory'))![1]);
    await env.redis.config('SET', 'maxmemory', String(used * 4));
    try {
      clock = new Date();
      const err = await healthCheck(fakeJob('health_check', {}), env.ctx).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/redis memory [\d.]+% of maxmemory > 1%/);
    } finally {
      await env.redis.config('SET', 'maxmemory', before[1]!);
    }
  });
});
