import { Redis } from 'ioredis';
import { loadConfig } from '../../services/src/config/env';
import { closeQueues, createQueues, type Queues } from '../../services/src/queues/queues';
import { scheduledJobId } from '../../services/src/task/main';
import { freePort, RoleProcess, startWorkerProcess, waitFor, type WorkerHandle } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

// `task <job>` as a CronJob pod runs it: a fresh process per attempt, the run's id from TASK_RUN_ID.
jest.setTimeout(90_000);

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let queues: Queues;
const procs: RoleProcess[] = [];
const workers: WorkerHandle[] = [];

function task(args: string[], env: Record<string, string> = {}) {
  const proc = new RoleProcess('task', { REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env }, args);
  procs.push(proc);
  return proc;
}

beforeEach(() => {
  prefix = testPrefix('cronrun');
  queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
});
afterEach(async () => {
  await Promise.all([...procs.splice(0).map((p) => p.stop()), ...workers.splice(0).map((w) => w.proc.stop())]);
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

test('Redis unreachable: --timeout still holds (connecting counts), one line, exit 4, no stack', async () => {
  const port = await freePort(); // nothing listens there
  const started = Date.now();
  // --timeout counts from process start: 6 s leaves a loaded machine time to start node and see a refusal
  // (with less, the deadline can pass before the first connection attempt, and the reason is "no answer").
  const p = task(['refresh_benchmarks', '--timeout', '6'], { REDIS_URL: `redis://127.0.0.1:${port}` });
  const { code } = await p.exited;
  expect(code).toBe(4);
  // a bound on a hang, not a race: before, this ran until the CronJob's deadline killed it
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(p.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^refresh_benchmarks \\w+: Redis at 127\\.0\\.0\\.1:${port} unreachable within 6s \\(.*ECONNREFUSED.*\\); exit 4$`))]);
  expect(p.stdout).toBe('');
  const inline = task(['health_check', '--inline', '--timeout', '1'], { REDIS_URL: `redis://127.0.0.1:${port}` });
  expect((await inline.exited).code).toBe(4);
  expect(inline.stderr.trim().split('\n')).toHaveLength(1);
});

test('two timed-out attempts of one scheduled run leave no job behind: a worker started later runs nothing', async () => {
  const env = { TASK_RUN_ID: 'rel-pca-agent-refresh-benchmarks-29412345' };
  for (let attempt = 0; attempt < 2; attempt++) {
    // --timeout counts from process start, connecting included: 6 s leaves a loaded CI machine room to start node.
    const p = task(['refresh_benchmarks', '--timeout', '6'], env);
    expect((await p.exited).code).toBe(3);
    expect(p.stderr).toMatch(/^refresh_benchmarks refresh_benchmarks-rel-pca-agent-refresh-benchmarks-29412345 did not finish within 6s \(state: waiting; removed from the queue, it will not run later\); exit 3\n$/);
  }
  expect(await queues.maintenance.getJobCounts('waiting', 'delayed', 'prioritized', 'active')).toEqual({ waiting: 0, delayed: 0, prioritized: 0, active: 0 });
  const w = await startWorkerProcess({ REDIS_URL, REDIS_KEY_PREFIX: prefix, WORKER_QUEUES: 'maintenance' });
  workers.push(w);
  // the worker is ready and polling; a queued orphan would be picked now
  await waitFor('the worker registered', async () => (await queues.maintenance.getWorkers()).length > 0, 20_000);
  expect(await queues.maintenance.getJobCounts('completed', 'failed', 'active', 'waiting')).toEqual({ completed: 0, failed: 0, active: 0, waiting: 0 });
});

test('a retried pod of the same run attaches to the job its killed predecessor queued: one job, run once', async () => {
  const runId = 'rel-pca-agent-cleanup-old-reports-29412400';
  const jobId = scheduledJobId('cleanup_old_reports', runId);
  const first = task(['cleanup_old_reports', '--timeout', '60'], { TASK_RUN_ID: runId });
  await waitFor('the first pod queued its job', async () => (await queues.maintenance.getJob(jobId)) !== undefined, 20_000);
  first.signal('SIGKILL'); // the node went away: no give-up, the job stays queued
  await first.exited;

  const w = await startWorkerProcess({ REDIS_URL, REDIS_KEY_PREFIX: prefix, WORKER_QUEUES: 'maintenance' });
  workers.push(w);
  const retry = task(['cleanup_old_reports', '--timeout', '30'], { TASK_RUN_ID: runId });
  expect((await retry.exited).code).toBe(0);
  expect(retry.stdout).toMatch(new RegExp(`^cleanup_old_reports ${jobId} completed in [\\d.]+s \\(attached to the job an earlier pod of this run queued\\): `));
  const counts = await queues.maintenance.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
  expect(counts).toEqual({ completed: 1, failed: 0, waiting: 0, active: 0, delayed: 0 });
  expect((await queues.maintenance.getJob(jobId))!.attemptsMade).toBe(1);
});

test('scheduledJobId: one id per run, within the task-id pattern, distinct runs distinct ids', () => {
  expect(scheduledJobId('health_check', 'a-1')).toBe('health_check-a-1');
  const long = scheduledJobId('cleanup_old_reports', `${'x'.repeat(60)}-1`);
  expect(long).toMatch(/^cleanup_old_reports-[a-f0-9]+$/);
  expect(long.length).toBeLessThanOrEqual(64);
  expect(scheduledJobId('cleanup_old_reports', `${'x'.repeat(60)}-2`)).not.toBe(long);
});
