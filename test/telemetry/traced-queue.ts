import { Queue, QueueEvents, Worker, type Job, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { queueTelemetry } from '../../services/src/telemetry/bullmq';
import { withSpan } from '../../services/src/telemetry/spans';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

/** A queue, its events and a worker under a fresh prefix, all traced with queueTelemetry(). */
export interface TracedQueue {
  readonly name: string;
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly worker: Worker;
  /** Closes the worker, events and queue, deletes the prefix's keys and quits every connection. */
  close(): Promise<void>;
}

/**
 * Its worker builds each job inside a `report.build` span (attribute `pca.job`) and fails the jobs whose
 * data says `fail: true`. `workerOptions` are merged over the defaults.
 */
export async function startTracedQueue(prefixName: string, workerOptions: Partial<WorkerOptions> = {}): Promise<TracedQueue> {
  const name = 'reports';
  const prefix = testPrefix(prefixName);
  const connections: Redis[] = [];
  const conn = () => {
    const c = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const opts = { prefix: `${prefix}:bull`, telemetry: queueTelemetry() };
  const queue = new Queue(name, { ...opts, connection: conn() });
  const events = new QueueEvents(name, { ...opts, connection: conn() });
  const worker = new Worker(
    name,
    async (job: Job<{ fail?: boolean }>) =>
      withSpan('report.build', { 'pca.job': job.name }, async () => {
        if (job.data.fail) throw new Error('cannot build');
        return { ok: true };
      }),
    { ...opts, connection: conn(), ...workerOptions },
  );
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  return {
    name,
    queue,
    events,
    worker,
    async close() {
      await worker.close();
      await events.close();
      await queue.close();
      await deleteByPrefix(connections[0]!, prefix);
      await Promise.all(connections.map((c) => c.quit()));
    },
  };
}
