import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../../services/src/config/env';
import { queueOf, type JobName } from '../../services/src/queues/contract';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { reportIdFor } from '../../services/src/workers/processor-context';
import { startWorkerProcess, waitFor, type WorkerHandle } from '../helpers/processes';
import { testStores } from '../helpers/jobs';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { inlineRow } from './support';

// Real worker processes (built JS in dist/) under short locks and short deadlines.
jest.setTimeout(120_000);

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let queues: Queues;
const workers: WorkerHandle[] = [];

/** The largest report the limits allow: 10,000 inline campaigns (reportInputSchema's maximum). */
const LARGEST = { campaigns: Array.from({ length: 10_000 }, (_, i) => inlineRow(i)) };

const env = (extra: Record<string, string> = {}) => ({
  REDIS_URL,
  REDIS_KEY_PREFIX: prefix,
  // the shortest lock the worker accepts, checked every second: a starved renewal shows as a stall at once
  WORKER_LOCK_DURATION_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  JOB_BACKOFF_MS: '100',
  ...extra,
});

async function start(extra: Record<string, string> = {}) {
  const w = await startWorkerProcess(env(extra));
  workers.push(w);
  return w;
}

beforeEach(() => {
  prefix = testPrefix('pressure');
  queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.proc.stop()));
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

test('the largest XLSX and PDF reports under a 2 s lock: each runs exactly once, no stall, no lost lock', async () => {
  const w = await start({ WORKER_QUEUES: 'reports', WORKER_CONCURRENCY: '2' });
  const jobs = [await enqueue(queues, 'generate_excel_report', LARGEST), await enqueue(queues, 'generate_pdf_report', LARGEST)];
  await waitFor('both reports finished', async () => {
    const c = await queues.reports.getJobCounts('completed', 'failed');
    return c.completed! + c.failed! === 2;
  }, 90_000);
  for (const j of jobs) {
    const job = (await queues.reports.getJob(j.id!))!;
    expect({ name: job.name, state: await job.getState(), attemptsMade: job.attemptsMade, stalledCounter: job.stalledCounter }).toEqual({
      name: j.name,
      state: 'completed',
      attemptsMade: 1,
      stalledCounter: 0,
    });
    expect((job.returnvalue as { size_bytes: number }).size_bytes).toBeGreaterThan(1000);
  }
  const log = w.proc.stdout + w.proc.stderr;
  expect(log).not.toMatch(/stalled|Missing lock/i);
});

test('an attempt past its deadline is aborted and fails "timed out after 1 s"; attempts apply; the worker goes on', async () => {
  const w = await start({ WORKER_QUEUES: 'reports', JOB_TIMEOUT_GENERATE_EXCEL_REPORT: '1' });
  const slow = await enqueue(queues, 'generate_excel_report', LARGEST, { attempts: 2 });
  await waitFor('the slow report failed for good', async () => (await slow.getState()) === 'failed', 60_000);
  const failed = (await queues.reports.getJob(slow.id!))!;
  expect(failed.failedReason).toBe('generate_excel_report timed out after 1 s');
  expect(failed.attemptsMade).toBe(2); // a timeout is an ordinary failure: retried up to the job's attempts
  expect(failed.stacktrace).toHaveLength(2);
  // aborted work stored nothing, and nothing is left running
  expect(await testStores(redis, prefix).artifacts.getMeta(reportIdFor(failed))).toBeNull();
  expect((await queues.reports.getJobCounts('active')).active).toBe(0);

  // another job (its own, default deadline) on the same worker afterwards
  const next = await enqueue(queues, 'generate_campaign_report', { campaigns: [inlineRow(1)] });
  await waitFor('the next report completed', async () => (await next.getState()) === 'completed', 60_000);
  expect(w.proc.running).toBe(true);
});

test('WORKER_CONCURRENCY is the pod budget: never more jobs at once across queues, uploads one at a time', async () => {
  await start({ WORKER_CONCURRENCY: '3' }); // reports 1 + uploads 1 + maintenance 1
  const uploads = testStores(redis, prefix).uploads;
  const lines = ['name,channel,start_date,end_date,budget,spend,impressions,clicks'];
  for (let i = 0; i < 4000; i++) lines.push(`r ${i},search,2026-01-01,2026-01-31,${100 + i},${i % 50},${1000 + i},${i % 40}`);
  const body = Buffer.from(lines.join('\n'));
  const jobs: Job[] = [];
  for (let n = 0; n < 4; n++) {
    await uploads.write(`up${n}`, [body]);
    jobs.push(await enqueue(queues, 'process_bulk_upload', { upload_id: `up${n}`, filename: `u${n}.csv`, format: 'csv', size: body.length }));
    jobs.push(await enqueue(queues, 'generate_campaign_report', { campaigns: LARGEST.campaigns.slice(0, 3000) }));
    jobs.push(await enqueue(queues, 'refresh_benchmarks', {}));
  }
  await waitFor('every job finished', async () => {
    const states = await Promise.all(jobs.map((j) => j.getState()));
    return states.every((s) => s === 'completed' || s === 'failed');
  }, 90_000);
  const runs = await Promise.all(jobs.map(async (j) => {
    const job = await queues[queueOf(j.name as JobName)].getJob(j.id!);
    return { name: job!.name, from: job!.processedOn!, to: job!.finishedOn! };
  }));
  // the most runs that overlapped at one instant, overall and per queue
  const peak = (list: typeof runs) => Math.max(...list.map((r) => list.filter((o) => o.from <= r.from && r.from < o.to).length));
  expect(runs.every((r) => r.from && r.to)).toBe(true);
  expect(peak(runs)).toBeLessThanOrEqual(3);
  expect(peak(runs.filter((r) => r.name === 'process_bulk_upload'))).toBe(1);
});
