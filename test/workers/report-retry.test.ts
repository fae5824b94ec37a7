import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig, type Config } from '../../services/src/config/env';
import { closeQueues, createQueues, enqueue, type Queues } from '../../services/src/queues/queues';
import { startWorker, type WorkerProcess } from '../../services/src/workers/main';
import { reportIdFor } from '../../services/src/workers/processor-context';
import { inlineRow } from '../faults/support';
import { freePort, waitFor } from '../helpers/processes';
import { testStores } from '../helpers/jobs';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

// A manual retry of a completed report job (the dashboard's "retry" on the completed tab) keeps its result.
jest.setTimeout(60_000);

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let cfg: Config;
let queues: Queues;
let worker: WorkerProcess | undefined;

beforeEach(async () => {
  prefix = testPrefix('rretry');
  cfg = loadConfig({ REDIS_URL, REDIS_KEY_PREFIX: prefix, WORKER_QUEUES: 'reports', WORKER_HTTP_PORT: String(await freePort()), LOG_LEVEL: 'silent' });
  queues = createQueues(cfg, redis);
  worker = await startWorker(cfg, pino({ level: 'silent' }));
});
afterEach(async () => {
  await worker?.close();
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

test.each(['generate_campaign_report', 'generate_excel_report', 'generate_pdf_report'] as const)(
  '%s retried after it completed: the same result and artifact, not a new rendering',
  async (name) => {
    const artifacts = testStores(redis, prefix).artifacts;
    const job = await enqueue(queues, name, { campaigns: [inlineRow(1), inlineRow(2), inlineRow(3)] });
    await waitFor('completed', async () => (await job.getState()) === 'completed', 30_000);
    const first = (await queues.reports.getJob(job.id!))!;
    const before = await artifacts.get(reportIdFor(first));
    expect(before).not.toBeNull();
    const { returnvalue: result, finishedOn } = first; // retry() resets them on the object

    await first.retry('completed');
    await waitFor('completed again', async () => {
      const j = await queues.reports.getJob(job.id!);
      return (await j!.getState()) === 'completed' && j!.finishedOn! > finishedOn! && j;
    }, 30_000);
    const second = (await queues.reports.getJob(job.id!))!;
    expect(second.returnvalue).toEqual(result);
    const after = (await artifacts.get(reportIdFor(second)))!;
    expect(after.meta).toEqual(before!.meta); // same created_at / expires_at: not replaced
    expect(after.body.equals(before!.body)).toBe(true);
  },
);
