import { loadConfig } from '../../services/src/config/env';
import { closeRedis, createRedis, type RedisClient } from '../../services/src/lib/redis';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { testPrefix } from '../helpers/redis';
import { SentinelSet } from '../helpers/redis-topologies';
import { sleep, startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { auth, inlineRow, roleEnv } from './support';

jest.setTimeout(240_000);

const BATCH = 500;
// A job accepted this long before the kill has surely reached the replica (replication lag here is ms).
const REPLICATED_AFTER_MS = 1000;

let set: SentinelSet;
let api: ApiHandle;
let worker: WorkerHandle;
let connection: RedisClient;
let queues: Queues;

beforeAll(async () => {
  set = await SentinelSet.start();
  const prefix = testPrefix('f-sentinel');
  // The URL's host is not dialled in sentinel mode; the sentinels name the primary.
  const sentinel = { REDIS_SENTINELS: set.sentinelAddresses, REDIS_SENTINEL_NAME: SentinelSet.MASTER, REDIS_COMMAND_TIMEOUT_MS: '1000' };
  const env = roleEnv(prefix, `redis://${SentinelSet.MASTER}:6379/0`, sentinel);
  const cfg = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  connection = createRedis(cfg, 'worker', 'test-sentinel-queues');
  queues = createQueues(cfg, connection, ['reports']);
  [api, worker] = await Promise.all([
    startApiProcess(env),
    // debug: the worker's `job completed` lines are how the test counts completions.
    startWorkerProcess({ ...env, LOG_LEVEL: 'debug', WORKER_QUEUES: 'reports', WORKER_CONCURRENCY_REPORTS: '4', WORKER_LOCK_DURATION_MS: '15000', WORKER_STALLED_INTERVAL_MS: '5000' }),
  ]);
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), worker?.proc.stop()]);
  await closeQueues(queues ?? {});
  await closeRedis(connection);
  await set?.close();
});

interface Sample {
  readonly at: number;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly taskId?: string;
}

async function request(path: string, init: RequestInit = {}): Promise<Sample> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${api.url}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
    const body = (await res.json().catch(() => ({}))) as { task_id?: string };
    return { at: Date.now(), path, status: res.status, ms: performance.now() - t0, ...(res.status === 202 && body.task_id ? { taskId: body.task_id } : {}) };
  } catch {
    return { at: Date.now(), path, status: 0, ms: performance.now() - t0 };
  }
}

test('SIGKILL of the Sentinel primary under API traffic and a 500-job batch: 503s only while failing over, workers follow, no accepted job lost', async () => {
  const report = (from: number, n: number) => ({ campaigns: Array.from({ length: n }, (_, k) => inlineRow(from + k)) });
  const batch: string[] = [];
  for (let i = 0; i < BATCH; i += 50) {
    const jobs = await Promise.all(Array.from({ length: 50 }, (_, k) => enqueue(queues, 'generate_campaign_report', report((i + k) * 100, 40))));
    batch.push(...jobs.map((j) => j.id!));
  }
  const batchAcceptedAt = Date.now();

  const samples: Sample[] = [];
  let traffic = true;
  let n = 0;
  const loop = (async () => {
    while (traffic) {
      n++;
      samples.push(
        ...(await Promise.all([
          request('/ready'),
          request('/api/v1/campaigns?limit=1', { headers: auth() }),
          request('/api/v1/analyze-async', { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(report(1_000_000 + n * 10, 3)) }),
        ])),
      );
      await sleep(100);
    }
  })();

  // The batch is running (not finished, not untouched) when the primary dies.
  await waitFor('a fifth of the batch done', async () => (await queues.reports.getCompletedCount()) >= BATCH / 5, 90_000, 100);
  expect(await queues.reports.getWaitingCount()).toBeGreaterThan(0);
  const oldPrimary = set.primary.address;
  const killedAt = Date.now();
  await set.primary.kill('SIGKILL');
  await waitFor('the sentinels to promote the replica', async () => (await set.masterAddress()) === set.replica.address, 60_000, 100);
  const promotedAt = Date.now();
  // Recovered: the API serves Redis-backed reads again, and keeps doing so.
  const ok = (s: Sample) => s.status === 200 || s.status === 202;
  const recoveredAt = await waitFor('the API serving again', () => samples.find((s) => s.at > promotedAt && s.path.startsWith('/api/v1/campaigns') && ok(s))?.at, 30_000, 50);
  await waitFor('3 s of traffic after recovery', () => samples.some((s) => s.at > recoveredAt + 3000), 20_000, 100);
  traffic = false;
  await loop;

  // Every job accepted (batch and API) reaches a final state on the new primary.
  const accepted = [...batch.map((id) => ({ id, at: batchAcceptedAt })), ...samples.filter((s) => s.taskId).map((s) => ({ id: s.taskId!, at: s.at }))];
  await waitFor('the queue to drain', async () => (await queues.reports.getWaitingCount()) + (await queues.reports.getActiveCount()) + (await queues.reports.getDelayedCount()) === 0, 150_000, 500);
  const states = await Promise.all(accepted.map(async (a) => ({ ...a, state: await queues.reports.getJobState(a.id), job: await queues.reports.getJob(a.id) })));
  const lostEarly = states.filter((s) => s.state === 'unknown' && s.at < killedAt - REPLICATED_AFTER_MS);
  const lostLate = states.filter((s) => s.state === 'unknown' && s.at >= killedAt - REPLICATED_AFTER_MS);
  const failedWithoutReason = states.filter((s) => s.state === 'failed' && !s.job?.failedReason);
  const notFinal = states.filter((s) => !['completed', 'failed', 'unknown'].includes(s.state));
  // Completed exactly once: the worker logs one `job completed` per run that finished.
  const completions = new Map<string, number>();
  for (const line of worker.proc.logLines()) if (line.msg === 'job completed') completions.set(String(line.job_id), (completions.get(String(line.job_id)) ?? 0) + 1);
  const twice = [...completions].filter(([, c]) => c > 1).map(([id]) => id);

  const during = samples.filter((s) => s.at >= killedAt && s.at <= recoveredAt);
  const before = samples.filter((s) => s.at < killedAt);
  const after = samples.filter((s) => s.at > recoveredAt + 1000);
  const figures = {
    old_primary: oldPrimary,
    new_primary: await set.masterAddress(),
    sentinel_failover_s: (promotedAt - killedAt) / 1000,
    api_outage_s: (recoveredAt - killedAt) / 1000,
    requests: samples.length,
    served_503: samples.filter((s) => s.status === 503).length,
    slowest_ms: Math.round(Math.max(...samples.map((s) => s.ms))),
    jobs_accepted: accepted.length,
    jobs_completed: states.filter((s) => s.state === 'completed').length,
    jobs_failed: states.filter((s) => s.state === 'failed').length,
    jobs_lost_accepted_over_1s_before_kill: lostEarly.length,
    jobs_lost_accepted_in_last_1s: lostLate.length,
    jobs_completed_twice: twice.length,
  };
  process.stdout.write(`sentinel failover figures: ${JSON.stringify(figures)}\n`);

  // Never a 500, never a hang (status 0 = no answer within 5 s): Redis-backed routes answer 503 meanwhile.
  expect(samples.filter((s) => s.status !== 503 && !ok(s))).toEqual([]);
  expect(before.filter((s) => !ok(s))).toEqual([]);
  expect(during.some((s) => s.status === 503)).toBe(true);
  // Recovered by itself, and stays recovered.
  expect(after.length).toBeGreaterThan(10);
  expect(after.filter((s) => !ok(s))).toEqual([]);
  expect(figures.api_outage_s).toBeLessThan(30);
  // Jobs: workers followed the new primary and finished the batch; nothing accepted well before the kill is lost.
  expect({ lostEarly: lostEarly.map((s) => s.id), notFinal: notFinal.map((s) => s.id), failedWithoutReason: failedWithoutReason.map((s) => s.id), twice }).toEqual({
    lostEarly: [],
    notFinal: [],
    failedWithoutReason: [],
    twice: [],
  });
  expect(await connection.ping()).toBe('PONG');

  // Shutdown still finishes cleanly on the new primary (sentinel subscriptions closed too).
  api.proc.signal('SIGTERM');
  worker.proc.signal('SIGTERM');
  expect(await Promise.all([api.proc.exited, worker.proc.exited])).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
});
