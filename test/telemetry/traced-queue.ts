import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { Queue, QueueEvents, Worker, type Job, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { queueTelemetry } from '../../services/src/telemetry/bullmq';
import { ConsumerSpans, type ConsumerSpansOptions } from '../../services/src/telemetry/consumer-spans';
import { withSpan } from '../../services/src/telemetry/spans';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

/** What a job of the traced queue asks its worker to do. */
export interface TracedJobData {
  /** Throw in the processor. */
  readonly fail?: boolean;
  /** Return a value BullMQ cannot store (circular): the attempt fails after the processor. */
  readonly unstorable?: boolean;
}

/** What the worker returns: whether tracing was suppressed while the job ran. */
export interface TracedJobResult {
  readonly suppressed: boolean;
}

/** A queue and its events traced with queueTelemetry(), and a worker traced with ConsumerSpans, under a fresh prefix. */
export interface TracedQueue {
  readonly name: string;
  readonly queue: Queue;
  /** The same queue without telemetry: its jobs carry no trace context (as a job scheduler's do). */
  readonly plain: Queue;
  readonly events: QueueEvents;
  readonly worker: Worker;
  /** Closes the worker, events and queue, deletes the prefix's keys and quits every connection. */
  close(): Promise<void>;
}

/**
 * Its worker builds each job inside a `report.build` span (attribute `pca.job`) and does what the job's
 * data says (TracedJobData). `workerOptions` are merged over the defaults; `spans` go to ConsumerSpans.
 */
export async function startTracedQueue(
  prefixName: string,
  workerOptions: Partial<WorkerOptions> = {},
  spans: Partial<ConsumerSpansOptions> = {},
): Promise<TracedQueue> {
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
  const plain = new Queue(name, { prefix: opts.prefix, connection: conn() });
  const events = new QueueEvents(name, { ...opts, connection: conn() });
  const consumer = new ConsumerSpans({ queue: name, workerName: 'traced-queue', ...spans });
  const processor = async (job: Job<TracedJobData>): Promise<TracedJobResult> =>
    withSpan('report.build', { 'pca.job': job.name }, async () => {
      if (job.data.fail) throw new Error('cannot build');
      const result = { suppressed: isTracingSuppressed(context.active()) };
      return job.data.unstorable ? Object.assign(result, { self: result }) : result;
    });
  const worker = new Worker(name, consumer.wrap(processor), { prefix: opts.prefix, connection: conn(), ...workerOptions });
  consumer.watch(worker);
  // BullMQ also reports a completion it could not store as an 'error'
  worker.on('error', () => undefined);
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  return {
    name,
    queue,
    plain,
    events,
    worker,
    async close() {
      await worker.close();
      await events.close();
      await queue.close();
      await plain.close();
      await deleteByPrefix(connections[0]!, prefix);
      await Promise.all(connections.map((c) => c.quit()));
    },
  };
}
