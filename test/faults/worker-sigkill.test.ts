import { enqueue } from '../../services/src/queues/queues';
import { appKeys } from '../../services/src/lib/keys';
import { startWorkerProcess, waitFor, type WorkerHandle } from '../helpers/processes';
import { inlineRow, queueFixture, roleEnv, type QueueFixture } from './support';

jest.setTimeout(180_000);

const JOBS = 1000;
let fx: QueueFixture;
const workers: WorkerHandle[] = [];

beforeAll(() => {
  fx = queueFixture('f-sigkill');
});
afterAll(async () => {
  for (const w of workers) await w.proc.stop();
  await fx.close();
});

// Short locks so a killed worker's jobs are recovered in seconds, not the production 30 s.
const workerEnv = () =>
  roleEnv(fx.prefix, undefined, {
    WORKER_QUEUES: 'reports',
    WORKER_CONCURRENCY: '8', // the pod budget; a reports-only worker gets all of it
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  });

async function startWorker(): Promise<WorkerHandle> {
  const w = await startWorkerProcess(workerEnv());
  workers.push(w);
  return w;
}

/** Kills the worker with SIGKILL once `threshold` jobs are completed; returns the jobs it left active. */
async function killMidBatch(w: WorkerHandle, threshold: number): Promise<string[]> {
  await waitFor(`${threshold} completed jobs`, async () => (await fx.queues.reports.getCompletedCount()) >= threshold, 60_000, 10);
  w.proc.signal('SIGKILL');
  const exit = await w.proc.exited;
  expect(exit.signal).toBe('SIGKILL');
  // What the dead worker held: still "active" in Redis, with a lock that will lapse.
  return (await fx.queues.reports.getActive()).map((j) => j.id!);
}

test(`${JOBS} jobs survive two SIGKILLs of their worker: all completed once, none failed or lost`, async () => {
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, JOBS - i) }, (_, k) =>
        enqueue(fx.queues, 'generate_campaign_report', { campaigns: [inlineRow(i + k), inlineRow(i + k + 1)] }),
      ),
    );
    ids.push(...batch.map((j) => j.id!));
  }
  expect(new Set(ids).size).toBe(JOBS);

  const interrupted: string[][] = [];
  interrupted.push(await killMidBatch(await startWorker(), 200));
  interrupted.push(await killMidBatch(await startWorker(), 550));
  const last = await startWorker();

  await waitFor('every job completed', async () => (await fx.queues.reports.getCompletedCount()) === JOBS, 90_000, 200);
  const counts = await fx.queues.reports.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized');
  expect(counts).toEqual({ completed: JOBS, failed: 0, active: 0, wait: 0, delayed: 0, prioritized: 0 });

  // The kills really interrupted jobs, and those jobs were recovered, not failed.
  for (const cut of interrupted) expect(cut.length).toBeGreaterThan(0);
  for (const id of interrupted.flat()) expect(await fx.queues.reports.getJobState(id)).toBe('completed');

  // Each job's side effect exactly once: one artifact per job id, named after it, and no other.
  const keys = appKeys(fx.prefix);
  const artifacts = await fx.redis.zrange(keys.artifactIndex, '0', '-1');
  expect(artifacts.length).toBe(JOBS);
  expect(new Set(artifacts)).toEqual(new Set(ids.map((id) => `rpt_${id}`)));
  for (let i = 0; i < JOBS; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const jobs = await Promise.all(chunk.map((id) => fx.queues.reports.getJob(id)));
    const metas = await fx.redis.mget(...chunk.map((id) => keys.artifactMeta(`rpt_${id}`)));
    jobs.forEach((job, n) => {
      expect(job?.returnvalue?.report_id).toBe(`rpt_${chunk[n]}`);
      expect(job?.returnvalue?.report?.totals?.campaigns).toBe(2);
      expect(JSON.parse(metas[n]!).job_id).toBe(chunk[n]);
    });
  }
  expect(last.proc.running).toBe(true);
  console.log(`worker SIGKILL: ${JOBS} jobs, interrupted ${interrupted.map((c) => c.length).join(' + ')} active jobs, 0 lost, 0 failed`);
});
