import { Redis } from 'ioredis';
import { find, render } from '../chart/helm';
import { startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { REDIS_URL } from '../helpers/redis';
import { inlineRow, queueFixture, roleEnv, type QueueFixture } from './support';

// KEDA's decision for the rendered ScaledObject, evaluated against the real API and Redis: which triggers
// are active (the one thing that takes a worker from zero to one), for each state work can be in.
jest.setTimeout(90_000);

interface Trigger {
  readonly type: string;
  readonly name: string;
  readonly metadata: Record<string, string>;
}

let fx: QueueFixture;
let api: ApiHandle;
const workers: WorkerHandle[] = [];
let triggers: Trigger[];

beforeAll(async () => {
  fx = queueFixture('keda-pending');
  const objects = render(['--api-versions', 'keda.sh/v1alpha1/ScaledObject', '--set', `redisKeyPrefix=${fx.prefix}`]);
  triggers = (find(objects, 'ScaledObject', 'rel-pca-agent-worker') as any).spec.triggers as Trigger[];
  api = await startApiProcess(roleEnv(fx.prefix));
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), ...workers.map((w) => w.proc.stop())]);
  await fx.close();
});

/** KEDA's isActive per trigger: redis list length, or the metrics-api value, above its activation threshold. */
async function activeTriggers(redis: Redis): Promise<string[]> {
  const active: string[] = [];
  for (const t of triggers) {
    let value: number;
    if (t.type === 'redis') {
      value = await redis.llen(t.metadata.listName!);
      if (value > Number(t.metadata.activationListLength)) active.push(t.name);
    } else if (t.type === 'metrics-api') {
      // the in-cluster URL of the chart, pointed at the API process: same path, same JSON
      const res = await fetch(`${api.url}${new URL(t.metadata.url!).pathname}`);
      expect(res.status).toBe(200);
      value = Number(((await res.json()) as Record<string, unknown>)[t.metadata.valueLocation!]);
      if (value > Number(t.metadata.activationTargetValue)) active.push(t.name);
    } else {
      throw new Error(`unexpected trigger type ${t.type}`);
    }
  }
  return active.sort();
}

test('prioritized and due delayed jobs wake a scaled-to-zero worker; a far-future delay does not', async () => {
  expect(await activeTriggers(fx.redis)).toEqual([]);

  // a job given a priority (as the dashboard or an API client can): BullMQ's prioritized sorted set
  const prioritized = await fx.queues.reports.add('generate_campaign_report', { campaigns: [inlineRow(1)] }, { priority: 5, jobId: 'prio-1' });
  expect(await prioritized.getState()).toBe('prioritized');
  expect(await activeTriggers(fx.redis)).toEqual(['queue-reports-pending']);

  // a retry in backoff (delayed) that is due: with no worker nobody moves it to wait
  const later = await fx.queues.maintenance.add('refresh_benchmarks', {}, { delay: 3_600_000, jobId: 'later-1' });
  expect(await activeTriggers(fx.redis)).toEqual(['queue-reports-pending']);
  const due = await fx.queues.maintenance.add('refresh_benchmarks', {}, { delay: 500, jobId: 'due-1' });
  expect(await due.getState()).toBe('delayed');
  await waitFor('the delayed job due', async () => (await activeTriggers(fx.redis)).includes('queue-maintenance-pending'), 20_000);
  expect(await activeTriggers(fx.redis)).toEqual(['queue-maintenance-pending', 'queue-reports-pending']);
  expect(await due.getState()).toBe('delayed'); // still not in wait: the list triggers alone would never fire

  // KEDA scales the worker up: it runs both, and the triggers go quiet again
  workers.push(await startWorkerProcess({ REDIS_URL, REDIS_KEY_PREFIX: fx.prefix }));
  await waitFor('both woken jobs completed', async () => (await prioritized.getState()) === 'completed' && (await due.getState()) === 'completed', 30_000);
  expect(await later.getState()).toBe('delayed');
  await waitFor('no trigger active', async () => (await activeTriggers(fx.redis)).length === 0, 20_000);
});

test('the pending endpoint: public, counts only, 404 problem for an unknown queue', async () => {
  const res = await fetch(`${api.url}/scaling/pending/reports`);
  expect(res.status).toBe(200);
  expect(Object.keys((await res.json()) as object).sort()).toEqual(['delayed_due', 'prioritized', 'queue', 'value']);
  const bad = await fetch(`${api.url}/scaling/pending/nope`);
  expect(bad.status).toBe(404);
  expect(bad.headers.get('content-type')).toContain('application/problem+json');
  expect(((await bad.json()) as { detail: string }).detail).toBe('unknown queue "nope" (known: reports, uploads, maintenance)');
});
