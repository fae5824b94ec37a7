import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig, type Config } from '../../services/src/config/env';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { startWorker, type WorkerProcess } from '../../services/src/workers/main';
import { concurrencyPlan, workerOptions } from '../../services/src/workers/worker-options';
import { freePort, waitFor } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const logger = pino({ level: 'silent' });
const redis = new Redis(REDIS_URL);
let prefix: string;
let cfg: Config;
let queues: Queues;
let worker: WorkerProcess | undefined;

async function setup(env: Record<string, string> = {}) {
  prefix = testPrefix('worker');
  cfg = loadConfig({ REDIS_URL, REDIS_KEY_PREFIX: prefix, WORKER_HTTP_PORT: String(await freePort()), ...env });
  queues = createQueues(cfg, redis);
}

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

test('consumes jobs, counts them in /metrics, answers /health and /ready, closes cleanly twice', async () => {
  await setup();
  worker = await startWorker(cfg, logger);
  const base = `http://127.0.0.1:${cfg.WORKER_HTTP_PORT}`;
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect((await fetch(`${base}/ready`)).status).toBe(200);

  const ok = await enqueue(queues, 'refresh_benchmarks', {});
  // added straight to the queue, past the API's validation: the worker re-validates
  const bad = await queues.reports.add('generate_campaign_report', { channel: 'radio' }, { jobId: 'bad-1' });
  await waitFor('both jobs finished', async () => (await ok.getState()) === 'completed' && (await bad.getState()) === 'failed', 20_000);
  const failed = await queues.reports.getJob(bad.id!);
  expect(failed!.attemptsMade).toBe(1); // unrecoverable: no retries despite attempts=3
  expect(failed!.failedReason).toMatch(/invalid payload for generate_campaign_report: channel/);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toContain('pca_jobs_completed_total{queue="maintenance",job_name="refresh_benchmarks"} 1');
  expect(metrics).toContain('pca_jobs_failed_total{queue="reports",job_name="generate_campaign_report"} 1');
  expect(metrics).toMatch(/pca_job_duration_seconds_count\{queue="maintenance",job_name="refresh_benchmarks"\} 1/);
  expect(metrics).toContain('pca_queue_jobs{queue="reports",state="failed"} 1');

  const first = worker.close();
  expect(worker.close()).toBe(first);
  expect(await first).toEqual({ timedOut: false });
  await expect(fetch(`${base}/health`)).rejects.toThrow();
  worker = undefined;
});

test('a failure no retry can fix (an artifact over REPORT_MAX_BYTES) fails on its first attempt', async () => {
  await setup({ WORKER_QUEUES: 'reports', REPORT_MAX_BYTES: '1024', JOB_ATTEMPTS: '3' });
  worker = await startWorker(cfg, logger);
  const job = await enqueue(queues, 'generate_pdf_report', {});
  await waitFor('the report job failed', async () => (await job.getState()) === 'failed', 20_000);
  const failed = await queues.reports.getJob(job.id!);
  expect(failed!.opts.attempts).toBe(3);
  expect(failed!.attemptsMade).toBe(1);
  expect(failed!.failedReason).toMatch(/exceeds REPORT_MAX_BYTES=1024/);
});

test('WORKER_LOCK_DURATION_MS has one rule, in the env schema: below 2000 is refused at start-up, naming it', () => {
  expect(() => loadConfig({ REDIS_URL, WORKER_LOCK_DURATION_MS: '1500' })).toThrow(/WORKER_LOCK_DURATION_MS/);
  expect(loadConfig({ REDIS_URL, WORKER_LOCK_DURATION_MS: '2000' }).WORKER_LOCK_DURATION_MS).toBe(2000);
});

test('queue depth is sampled at most every few seconds, not on every scrape', async () => {
  await setup({ WORKER_QUEUES: 'maintenance' });
  worker = await startWorker(cfg, logger);
  const scrape = async () => (await (await fetch(`http://127.0.0.1:${cfg.WORKER_HTTP_PORT}/metrics`)).text()).match(/pca_queue_jobs\{queue="reports",state="waiting"\} (\d+)/)![1];
  expect(await scrape()).toBe('0');
  await enqueue(queues, 'generate_campaign_report', {}); // no reports worker here: it stays waiting
  expect(await scrape()).toBe('0'); // cached sample
  await new Promise((r) => setTimeout(r, 5200));
  expect(await scrape()).toBe('1');
});

test('WORKER_QUEUES limits the consumed queues; unknown names are refused with the value quoted', async () => {
  await setup({ WORKER_QUEUES: 'maintenance' });
  worker = await startWorker(cfg, logger);
  expect(worker.workers.map((w) => w.name)).toEqual(['maintenance']);
  await expect(startWorker({ ...cfg, WORKER_QUEUES: ['reports', 'pdfs'] }, logger)).rejects.toThrow('WORKER_QUEUES="reports,pdfs": unknown queue pdfs');
});

test("SCHEDULER_ENABLED registers every scheduled job's schedule; starting without it removes them", async () => {
  await setup({ SCHEDULER_ENABLED: 'true', WORKER_QUEUES: 'maintenance' });
  worker = await startWorker(cfg, logger);
  const schedulers = await queues.maintenance.getJobSchedulers();
  expect(schedulers.map((s) => [s.key, s.pattern]).sort()).toEqual([
    ['backup_data', '0 3 * * *'],
    ['cleanup_old_reports', '0 2 * * *'],
    ['health_check', '*/5 * * * *'],
    ['refresh_benchmarks', '0 0 * * *'],
  ]);
  await worker.close();
  worker = await startWorker({ ...cfg, SCHEDULER_ENABLED: false }, logger);
  expect(await queues.maintenance.getJobSchedulers()).toEqual([]);
});

test('worker options: concurrency per queue and stalled recovery that survives two interruptions', async () => {
  await setup({ WORKER_CONCURRENCY: '5', WORKER_CONCURRENCY_UPLOADS: '1' });
  // the pod budget: uploads 1 and maintenance 1 of their own, reports the remaining 3
  expect(workerOptions(cfg, 'reports')).toMatchObject({ concurrency: 3, maxStalledCount: 2 });
  expect(workerOptions(cfg, 'uploads').concurrency).toBe(1);
  expect(concurrencyPlan({ ...cfg, WORKER_QUEUES: ['reports'] })).toMatchObject({ reports: 5 });
  expect(() => concurrencyPlan({ ...cfg, WORKER_CONCURRENCY_REPORTS: 4 })).toThrow(
    'invalid configuration: WORKER_CONCURRENCY: 5 is the per-pod budget, but the per-queue limits add up to reports 4 + uploads 1 + maintenance 1 = 6: raise it or lower WORKER_CONCURRENCY_REPORTS/UPLOADS/MAINTENANCE',
  );
  expect(() => loadConfig({ WORKER_MAX_STALLED_COUNT: '1' })).toThrow(/WORKER_MAX_STALLED_COUNT/);
});
