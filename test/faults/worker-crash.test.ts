import { Redis } from 'ioredis';
import { loadConfig } from '../../services/src/config/env';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { UploadStore } from '../../services/src/storage/upload-store';
import { httpStatus, startWorkerProcess, waitFor, type WorkerHandle } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, TEST_BLOB_DIR, testPrefix } from '../helpers/redis';

// Real worker processes (built JS in dist/): killed and stopped in the middle of their work.
jest.setTimeout(180_000);

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let queues: Queues;
const workers: WorkerHandle[] = [];

function csv(rows: number, tag: string): Buffer {
  const lines = ['name,channel,start_date,end_date,budget,spend,impressions,clicks'];
  for (let i = 0; i < rows; i++) lines.push(`${tag} ${i},search,2026-01-01,2026-01-31,${100 + i},${i % 50},${1000 + i},${i % 40}`);
  return Buffer.from(lines.join('\n'));
}

async function queueUploads(count: number, rows: number) {
  const uploads = new UploadStore(new FsBlobStore(TEST_BLOB_DIR), prefix, { maxBytes: 50e6, ttlSeconds: 3600 });
  const jobs = [];
  for (let n = 0; n < count; n++) {
    const body = csv(rows, `u${n}`);
    await uploads.write(`up${n}`, [body]);
    jobs.push(await enqueue(queues, 'process_bulk_upload', { upload_id: `up${n}`, filename: `u${n}.csv`, format: 'csv', size: body.length }));
  }
  return jobs;
}

const env = () => ({
  REDIS_URL,
  REDIS_KEY_PREFIX: prefix,
  WORKER_QUEUES: 'uploads',
  WORKER_CONCURRENCY: '2',
  // short locks so a killed worker's jobs are recovered within seconds, not the default 30 s
  WORKER_LOCK_DURATION_MS: '3000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  JOB_BACKOFF_MS: '200',
});

beforeEach(() => {
  prefix = testPrefix('crash');
  queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.proc.stop()));
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

test('a worker SIGKILLed in the middle of a batch, then restarted: every job completes, none lost or doubled', async () => {
  const ROWS = 3000;
  const jobs = await queueUploads(8, ROWS);
  const first = await startWorkerProcess(env());
  workers.push(first);
  await waitFor('two jobs done and two running', async () => {
    const c = await queues.uploads.getJobCounts('completed', 'active');
    return c.completed! >= 2 && c.active! >= 1;
  }, 90_000);
  const activeAtKill = (await queues.uploads.getJobs(['active'])).map((j) => j.id!);
  first.proc.signal('SIGKILL');
  expect((await first.proc.exited).signal).toBe('SIGKILL');
  const killedAt = Date.now();
  expect(activeAtKill.length).toBeGreaterThanOrEqual(1);

  const second = await startWorkerProcess(env());
  workers.push(second);
  await waitFor('every job completed', async () => (await queues.uploads.getJobCounts('completed')).completed === jobs.length, 120_000);

  expect(await queues.uploads.getJobCounts('failed', 'waiting', 'active', 'delayed')).toEqual({ failed: 0, waiting: 0, active: 0, delayed: 0 });
  for (const id of activeAtKill) {
    const job = (await queues.uploads.getJob(id))!;
    expect(job.returnvalue).toMatchObject({ rows_imported: ROWS });
    expect(job.finishedOn!).toBeGreaterThan(killedAt); // finished by the second worker
  }
  // rows of a job interrupted mid-way were written twice, under the same ids: no duplicates
  expect(await new CampaignStore(redis, prefix).count()).toBe(jobs.length * ROWS);
  expect(second.proc.stdout).toContain('job stalled; moved back to wait');
});

test('a worker sent SIGTERM mid-job finishes that job, reports not ready, then exits 0', async () => {
  const [job] = await queueUploads(1, 20_000);
  const worker = await startWorkerProcess({ ...env(), WORKER_SHUTDOWN_TIMEOUT_MS: '120000' });
  workers.push(worker);
  await waitFor('the job is under way', async () => typeof (await queues.uploads.getJob(job!.id!))?.progress === 'object', 60_000, 20);
  expect(await job!.getState()).toBe('active');

  worker.proc.signal('SIGTERM');
  await waitFor('readiness 503 while draining', async () => (await httpStatus(`${worker.url}/ready`)) === 503 || !worker.proc.running, 10_000, 20);
  const exit = await worker.proc.exited;
  const exitedAt = Date.now();
  expect(exit.code).toBe(0);

  const done = (await queues.uploads.getJob(job!.id!))!;
  expect(await done.getState()).toBe('completed');
  expect(done.returnvalue).toMatchObject({ rows_imported: 20_000 });
  expect(done.attemptsMade).toBe(1);
  expect(done.finishedOn!).toBeLessThanOrEqual(exitedAt);
  expect(worker.proc.stdout).toContain('"timed_out":false');
});

test('past WORKER_SHUTDOWN_TIMEOUT_MS the worker exits anyway (1); the cut-off job is recovered by the next worker', async () => {
  // long enough to still be running 1 s after the signal (a 20k-row import now takes about that)
  const [job] = await queueUploads(1, 100_000);
  const worker = await startWorkerProcess({ ...env(), WORKER_SHUTDOWN_TIMEOUT_MS: '1000' });
  workers.push(worker);
  await waitFor('the job is under way', async () => typeof (await queues.uploads.getJob(job!.id!))?.progress === 'object', 60_000, 20);
  const signalledAt = Date.now();
  worker.proc.signal('SIGTERM');
  expect((await worker.proc.exited).code).toBe(1);
  expect(Date.now() - signalledAt).toBeLessThan(10_000);
  expect(await job!.getState()).toBe('active'); // cut off, lock still held

  workers.push(await startWorkerProcess(env()));
  await waitFor('recovered and completed', async () => (await job!.getState()) === 'completed', 90_000);
  const done = (await queues.uploads.getJob(job!.id!))!;
  expect(done.returnvalue).toMatchObject({ rows_imported: 100_000 });
  expect(await new CampaignStore(redis, prefix).count()).toBe(100_000);
}, 180_000);

test('a worker SIGKILLed in the middle of a 100k-row import: the store holds none of the upload before the retry and all of it, once, after', async () => {
  const ROWS = 100_000;
  const [job] = await queueUploads(1, ROWS);
  const first = await startWorkerProcess(env());
  workers.push(first);
  await waitFor('the import is under way', async () => {
    const p = (await queues.uploads.getJob(job!.id!))?.progress as { rows_read?: number } | undefined;
    return (p?.rows_read ?? 0) >= 20_000;
  }, 120_000, 20);
  first.proc.signal('SIGKILL');
  expect((await first.proc.exited).signal).toBe('SIGKILL');
  const progress = (await queues.uploads.getJob(job!.id!))!.progress as { rows_read?: number; rows_committed?: number };
  const store = new CampaignStore(redis, prefix);
  // killed while staging: nothing of the upload is visible; killed mid-commit the retry completes it
  if (progress.rows_committed === undefined) expect(await store.count()).toBe(0);

  workers.push(await startWorkerProcess(env()));
  await waitFor('recovered and completed', async () => (await job!.getState()) === 'completed', 240_000, 100);
  const done = (await queues.uploads.getJob(job!.id!))!;
  expect(done.returnvalue).toMatchObject({ rows_total: ROWS, rows_imported: ROWS, rows_invalid: 0 });
  expect(await store.count()).toBe(ROWS);
  expect(await redis.exists(`${prefix}:upload-stage:up0`)).toBe(0);
}, 400_000);
