import { enqueue } from '../../services/src/queues/queues';
import { startWorkerProcess, waitFor, type WorkerHandle } from '../helpers/processes';
import { inlineRow, queueFixture, roleEnv, type QueueFixture } from './support';

jest.setTimeout(90_000);

let fx: QueueFixture;
const workers: WorkerHandle[] = [];

beforeAll(() => {
  fx = queueFixture('f-wsigterm');
});
afterAll(async () => {
  for (const w of workers) await w.proc.stop();
  await fx.close();
});

const env = () =>
  roleEnv(fx.prefix, undefined, {
    WORKER_QUEUES: 'reports',
    WORKER_CONCURRENCY_REPORTS: '2',
    WORKER_SHUTDOWN_TIMEOUT_MS: '30000',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '1000',
  });

test('SIGTERM mid-job: the active jobs finish before the worker exits 0; waiting jobs stay queued for the next worker', async () => {
  // Two PDF reports of 10,000 inline rows each (the most a payload may carry): long enough to be caught mid-job.
  const heavy = await Promise.all(
    [0, 1].map((n) => enqueue(fx.queues, 'generate_pdf_report', { campaigns: Array.from({ length: 10_000 }, (_, k) => inlineRow(n * 10_000 + k)) })),
  );
  const first = await startWorkerProcess(env());
  workers.push(first);
  await waitFor('both heavy jobs active', async () => (await fx.queues.reports.getActiveCount()) === 2, 20_000, 10);
  const signalAt = Date.now();
  first.proc.signal('SIGTERM');
  // The signal is asynchronous: until the worker has begun draining it may still take a job when a heavy
  // one finishes. Its "shutting down" line is written as it stops fetching, so wait for that line.
  await waitFor('the worker to begin draining', () => first.proc.logLines().some((l) => String(l.msg).startsWith('worker shutting down')), 20_000, 10);
  // Queued while the worker drains: it must not take them.
  const later = await Promise.all(
    Array.from({ length: 5 }, (_, n) => enqueue(fx.queues, 'generate_campaign_report', { campaigns: [inlineRow(n)] })),
  );
  const exit = await first.proc.exited;
  const exitAt = Date.now();
  expect(exit).toEqual({ code: 0, signal: null });

  for (const j of heavy) {
    const job = (await fx.queues.reports.getJob(j.id!))!;
    expect(await job.getState()).toBe('completed');
    expect(job.finishedOn!).toBeGreaterThan(signalAt); // it was still running when the signal came
    expect(job.finishedOn!).toBeLessThanOrEqual(exitAt);
    expect(job.processedBy).toBe(`pca-agent-worker-${first.proc.pid}`);
    expect(job.stalledCounter).toBe(0);
    expect(job.attemptsMade).toBe(1);
    expect(job.returnvalue).toMatchObject({ report_id: `rpt_${j.id}`, format: 'pdf' });
  }
  // Nothing new was taken after the signal, and nothing was lost: the later jobs wait for the next worker.
  for (const j of later) expect(await fx.queues.reports.getJobState(j.id!)).toBe('waiting');
  const stopped = first.proc.logLines().find((l) => l.msg === 'worker stopped');
  expect(stopped).toMatchObject({ timed_out: false });

  const second = await startWorkerProcess(env());
  workers.push(second);
  await waitFor('later jobs completed', async () => (await fx.queues.reports.getCompletedCount()) === heavy.length + later.length, 30_000, 100);
  expect(await fx.queues.reports.getFailedCount()).toBe(0);
  console.log(`worker SIGTERM: 2 active jobs finished ${exitAt - signalAt} ms after the signal, exit 0, 5 waiting jobs kept`);
});
