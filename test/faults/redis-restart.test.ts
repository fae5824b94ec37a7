import { enqueue } from '../../services/src/queues/queues';
import { testPrefix } from '../helpers/redis';
import { RedisServer, sleep, startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { auth, inlineRow, queueFixture, roleEnv, type QueueFixture } from './support';

jest.setTimeout(120_000);

const OUTAGE_MS = 10_000;
// A Redis-backed request must be answered within this while Redis is down (no hang on a dead socket).
const FAST_MS = 1500;

let redis: RedisServer;
let fx: QueueFixture;
let open: ApiHandle; // RATE_LIMIT_FAIL_OPEN=true (the default)
let closed: ApiHandle; // RATE_LIMIT_FAIL_OPEN=false
let worker: WorkerHandle;

beforeAll(async () => {
  redis = await RedisServer.start({ aof: true });
  const prefix = testPrefix('f-redis');
  fx = queueFixture('f-redis', redis.url, prefix);
  const env = roleEnv(prefix, redis.url);
  [open, closed, worker] = await Promise.all([
    startApiProcess({ ...env, RATE_LIMIT_FAIL_OPEN: 'true' }),
    startApiProcess({ ...env, RATE_LIMIT_FAIL_OPEN: 'false' }),
    startWorkerProcess({ ...env, WORKER_QUEUES: 'reports', WORKER_CONCURRENCY_REPORTS: '1' }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.proc.stop(), closed?.proc.stop(), worker?.proc.stop()]);
  await fx?.close();
  await redis?.close();
});

interface Sample {
  readonly at: number;
  readonly target: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly type: string;
  readonly body: string;
}

async function probe(target: string, base: string, path: string, headers: Record<string, string> = {}): Promise<Sample> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    return { at: Date.now(), target, path, status: res.status, ms: performance.now() - t0, type: res.headers.get('content-type') ?? '', body };
  } catch (err) {
    return { at: Date.now(), target, path, status: 0, ms: performance.now() - t0, type: '', body: String(err) };
  }
}

test('Redis crashes for 10 s under traffic: health stays up, fast 503s, ready again within 5 s, queued jobs complete, no restarts', async () => {
  const pids = [open.proc.pid, closed.proc.pid, worker.proc.pid];
  // A backlog: one slow-ish report job at a time, so jobs are still waiting when Redis goes away.
  const addJobs = (count: number, from: number) =>
    Promise.all(
      Array.from({ length: count }, (_, n) =>
        enqueue(fx.queues, 'generate_campaign_report', { campaigns: Array.from({ length: 400 }, (_, k) => inlineRow((from + n) * 1000 + k)) }),
      ),
    );
  const jobs = await addJobs(30, 0);
  await waitFor('the worker to start on the backlog', async () => (await fx.queues.reports.getCompletedCount()) >= 1, 30_000);

  // Continuous traffic on both APIs and the worker's probes for the whole test.
  const samples: Sample[] = [];
  let traffic = true;
  const loop = (async () => {
    while (traffic) {
      const round = await Promise.all([
        ...[open, closed].flatMap((a) => {
          const name = a === open ? 'open' : 'closed';
          return [
            probe(name, a.url, '/health'),
            probe(name, a.url, '/ready'),
            probe(name, a.url, '/api/v1/campaigns?limit=1', auth()),
            probe(name, a.url, '/api/v1/tasks/does-not-exist', auth()),
            probe(name, a.url, '/api/openapi.json'),
          ];
        }),
        probe('worker', worker.url, '/health'),
        probe('worker', worker.url, '/ready'),
      ]);
      samples.push(...round);
      await sleep(100);
    }
  })();

  await waitFor('traffic before the crash', () => samples.length >= 5 * 12, 15_000, 50); // five rounds
  // On a fast machine the backlog may be gone already: top it up so jobs are surely waiting at the crash.
  if ((await fx.queues.reports.getWaitingCount()) < 10) jobs.push(...(await addJobs(30, jobs.length)));
  const waitingAtCrash = await fx.queues.reports.getWaitingCount();
  expect(waitingAtCrash).toBeGreaterThan(0);
  const down = Date.now();
  await redis.stop('SIGKILL');
  await sleep(OUTAGE_MS);
  const upStart = Date.now();
  await redis.start();
  const up = Date.now();
  // Readiness of every process returns within 5 s of Redis answering again.
  await waitFor('API (fail open) ready', async () => samples.some((s) => s.target === 'open' && s.path === '/ready' && s.at > up && s.status === 200), 5000, 20);
  await waitFor('API (fail closed) ready', async () => samples.some((s) => s.target === 'closed' && s.path === '/ready' && s.at > up && s.status === 200), 5000, 20);
  await waitFor('worker ready', async () => samples.some((s) => s.target === 'worker' && s.path === '/ready' && s.at > up && s.status === 200), 5000, 20);
  const readyAgain = Math.max(...(['open', 'closed', 'worker'] as const).map((t) => samples.find((s) => s.target === t && s.path === '/ready' && s.at > up && s.status === 200)!.at)) - up;
  // Some rounds of traffic after every process is ready again, for the "after" checks below.
  const afterReady = (s: Sample) => s.at > up + readyAgain + 500 && s.path.startsWith('/api/v1/campaigns');
  await waitFor('traffic after recovery', () => samples.filter(afterReady).length >= 10, 15_000, 50);
  traffic = false;
  await loop;

  // Liveness never flapped, nothing ever timed out or failed to connect, no 5xx other than 503.
  expect(samples.filter((s) => s.path === '/health' && s.status !== 200)).toEqual([]);
  expect(samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503))).toEqual([]);

  // Well inside the outage (connections dropped, nothing answers): the documented behaviour.
  const during = samples.filter((s) => s.at > down + 1000 && s.at < upStart - 100);
  expect(during.length).toBeGreaterThan(50);
  for (const t of ['open', 'closed', 'worker']) {
    const ready = during.filter((s) => s.target === t && s.path === '/ready');
    expect(ready.length).toBeGreaterThan(5);
    expect(ready.every((s) => s.status === 503)).toBe(true);
  }
  const redisBacked = during.filter((s) => s.path.startsWith('/api/v1/'));
  expect(redisBacked.length).toBeGreaterThan(10);
  for (const s of redisBacked) {
    expect({ path: s.path, status: s.status, type: s.type }).toEqual({ path: s.path, status: 503, type: expect.stringContaining('application/problem+json') });
    expect(s.ms).toBeLessThan(FAST_MS);
    expect(JSON.parse(s.body)).toMatchObject({ status: 503, type: expect.stringMatching(/redis_unavailable/) });
  }
  // RATE_LIMIT_FAIL_OPEN: a route that needs no data passes un-counted when open, is refused when closed.
  const docsOpen = during.filter((s) => s.target === 'open' && s.path === '/api/openapi.json');
  const docsClosed = during.filter((s) => s.target === 'closed' && s.path === '/api/openapi.json');
  expect(docsOpen.length).toBeGreaterThan(5);
  expect(docsOpen.every((s) => s.status === 200)).toBe(true);
  expect(docsClosed.length).toBeGreaterThan(5);
  expect(docsClosed.every((s) => s.status === 503 && s.type.includes('application/problem+json') && s.ms < FAST_MS)).toBe(true);

  // After: data routes work again on both, every job queued before the outage completes, none failed.
  const after = samples.filter(afterReady);
  expect(after.length).toBeGreaterThan(0);
  expect(after.every((s) => s.status === 200)).toBe(true);
  await waitFor('every job completed', async () => (await fx.queues.reports.getCompletedCount()) === jobs.length, 60_000, 200);
  expect(await fx.queues.reports.getFailedCount()).toBe(0);

  // The same processes throughout.
  for (const p of [open.proc, closed.proc, worker.proc]) expect(p.running).toBe(true);
  expect([open.proc.pid, closed.proc.pid, worker.proc.pid]).toEqual(pids);
  console.log(
    `redis restart: ${samples.length} requests, outage ${OUTAGE_MS} ms, ${waitingAtCrash} jobs waiting at the crash, ` +
      `ready again ${readyAgain} ms after Redis, max 503 latency ${Math.round(Math.max(...redisBacked.map((s) => s.ms)))} ms`,
  );
});
