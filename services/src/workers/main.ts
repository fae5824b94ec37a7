import type { Server } from 'node:http';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/env';
import { bullPrefix } from '../lib/keys';
import { createLogger } from '../lib/logger';
import { closeRedis, createRedis, pingRedis, type RedisClient } from '../lib/redis';
import { closeQueues, createQueues, type Queues } from '../queues/queues';
import { checkBlobStoreAtStart } from '../storage/blob-store';
import { createStores } from '../storage/stores';
import { ConsumerSpans } from '../telemetry/consumer-spans';
import { shutdownTelemetry, telemetryStarted } from '../telemetry/sdk';
import { SERVICE_NAMES } from '../telemetry/service-names';
import { closeServer, startProbeServer } from './probe-server';
import { createProcessorContext } from './processor-context';
import { runJob } from './processors';
import { syncSchedulers } from './scheduler';
import { createWorkerMetrics } from '../metrics/worker-metrics';
import { concurrencyFor, consumedQueues, workerOptions } from './worker-options';

export interface WorkerProcess {
  readonly workers: readonly Worker[];
  readonly queues: Queues;
  readonly server: Server;
  /** Stops taking jobs, waits for active ones up to WORKER_SHUTDOWN_TIMEOUT_MS, closes everything. Idempotent. */
  close(): Promise<{ timedOut: boolean }>;
}

/** Wires the worker process: connections, one BullMQ Worker per consumed queue, probes and metrics. */
export async function startWorker(cfg: Config, logger: Logger): Promise<WorkerProcess> {
  const names = consumedQueues(cfg);
  const bullConnection: RedisClient = createRedis(cfg, 'worker', `${SERVICE_NAMES.worker}:bull`);
  const redis: RedisClient = createRedis(cfg, 'worker', `${SERVICE_NAMES.worker}:data`);
  const queues = createQueues(cfg, bullConnection);
  const stores = createStores(redis, cfg);
  try {
    await checkBlobStoreAtStart(stores.blobs, (msg) => logger.warn(msg));
  } catch (err) {
    await Promise.allSettled([closeQueues(queues), closeRedis(bullConnection), closeRedis(redis), stores.close()]);
    throw err;
  }
  const ctx = createProcessorContext(cfg, redis, queues, logger, stores);
  const metrics = createWorkerMetrics(queues, {
    redis,
    prefix: cfg.REDIS_KEY_PREFIX,
    concurrency: Object.fromEntries(names.map((q) => [q, concurrencyFor(cfg, q)])),
  });
  let closing: Promise<{ timedOut: boolean }> | undefined;

  const workerName = `${SERVICE_NAMES.worker}-${process.pid}`;
  const workers = names.map((queue) => {
    const processor = (job: Job) => metrics.observe(queue, job.name, () => runJob(job, ctx));
    // Our span per attempt instead of BullMQ's worker telemetry (see ConsumerSpans); none without a started SDK.
    const spans = telemetryStarted() ? new ConsumerSpans({ queue, workerName }) : undefined;
    const worker = new Worker(queue, spans ? spans.wrap(processor) : processor, {
      ...workerOptions(cfg, queue),
      connection: bullConnection,
      prefix: bullPrefix(cfg.REDIS_KEY_PREFIX),
      name: workerName,
    });
    spans?.watch(worker);
    // The outcome lines in the job's trace context, so they carry its trace id.
    const within = (job: Job | undefined, log: () => void) => (spans ? spans.within(job, log) : log());
    // Debug: pca_jobs_completed_total counts successes, and a line per job was a third of a small job's cost.
    // Not even a listener otherwise: with two on an event, Node copies the listener array on every emit.
    if (logger.isLevelEnabled('debug')) {
      worker.on('completed', (job) => within(job, () => logger.debug({ queue, job: job.name, job_id: job.id }, 'job completed')));
    }
    worker.on('failed', (job, err) =>
      within(job, () => logger.warn({ queue, job: job?.name, job_id: job?.id, attempts: job?.attemptsMade, err }, 'job failed')),
    );
    worker.on('stalled', (jobId) => logger.warn({ queue, job_id: jobId }, 'job stalled; moved back to wait'));
    worker.on('error', (err) => logger.error({ queue, err }, 'worker error'));
    return worker;
  });

  const server = await startProbeServer({
    port: cfg.WORKER_HTTP_PORT,
    registry: metrics.registry,
    ready: async () =>
      !closing &&
      workers.every((w) => w.isRunning()) &&
      (await pingRedis(redis)) &&
      (await stores.blobs.check(800).then(() => true, () => false)),
  });
  await syncSchedulers(queues, cfg.SCHEDULER_ENABLED, logger);
  logger.info({ queues: names, port: cfg.WORKER_HTTP_PORT }, 'worker started');

  const close = () => {
    closing ??= (async () => {
      logger.info('worker shutting down: no new jobs, waiting for active ones');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.all(workers.map((w) => w.close())).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), cfg.WORKER_SHUTDOWN_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        // Jobs still running keep their lock until it lapses; another worker then recovers them as stalled.
        // (worker.close(true) would only return the pending graceful close: closing the connections is the force.)
        logger.warn({ timeout_ms: cfg.WORKER_SHUTDOWN_TIMEOUT_MS }, 'active jobs did not finish in time; closing connections under them');
      }
      for (const step of [() => closeServer(server), () => closeQueues(queues), () => closeRedis(bullConnection), () => closeRedis(redis), () => stores.close()]) {
        try {
          await step();
        } catch (err) {
          logger.warn({ err }, 'error during shutdown');
        }
      }
      logger.info({ timed_out: timedOut }, 'worker stopped');
      return { timedOut };
    })();
    return closing;
  };
  return { workers, queues, server, close };
}

/** `main.js worker`: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function runWorker(): Promise<number> {
  const cfg = loadConfig();
  const logger = createLogger({ service: SERVICE_NAMES.worker, level: cfg.LOG_LEVEL });
  // Listening before start-up: /ready can answer 200 before startWorker returns, and a SIGTERM from then
  // on must drain, not kill.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const proc = await startWorker(cfg, logger);
  const signal = await signalled;
  logger.info({ signal }, 'signal received');
  const { timedOut } = await proc.close();
  await shutdownTelemetry(2000);
  // Anything still holding the event loop (a forced-off job) must not keep the pod terminating.
  process.exit(timedOut ? 1 : 0);
}
