import { QueueEvents } from 'bullmq';
import { loadConfig, type Config } from '../config/env';
import { UsageError } from '../lib/errors';
import { bullPrefix } from '../lib/keys';
import { createLogger } from '../lib/logger';
import { closeRedis, createRedis } from '../lib/redis';
import { isJobName, JOB_NAMES, PAYLOADS, queueOf, type JobName } from '../queues/contract';
import { InvalidPayloadError } from '../queues/errors';
import { closeQueues, createQueues, enqueue, newTaskId } from '../queues/queues';
import { createStores } from '../storage/stores';
import { createProcessorContext } from '../workers/processor-context';
import { runJob } from '../workers/processors';

const USAGE = `usage: task <job_name> [--inline] [--timeout <seconds>] [--data <json>]  (jobs: ${JOB_NAMES.join(', ')})`;

export interface TaskArgs {
  readonly job: JobName;
  readonly inline: boolean;
  readonly timeoutSeconds: number;
  readonly data: unknown;
}

export function parseTaskArgs(args: readonly string[]): TaskArgs {
  let job: string | undefined;
  let inline = false;
  let timeoutSeconds = 600;
  let data: unknown = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--inline') inline = true;
    else if (a === '--timeout') {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 86_400) throw new UsageError(`--timeout needs whole seconds between 1 and 86400, got "${args[i] ?? ''}"`);
      timeoutSeconds = v;
    } else if (a === '--data') {
      try {
        data = JSON.parse(args[++i] ?? '');
      } catch {
        throw new UsageError('--data needs a JSON object');
      }
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (job === undefined) job = a;
    else throw new UsageError(`unexpected argument "${a}"`);
  }
  if (!job) throw new UsageError('a job name is required');
  if (!isJobName(job)) throw new UsageError(`unknown job "${job}"`);
  const parsed = PAYLOADS[job].safeParse(data);
  if (!parsed.success) throw new UsageError(new InvalidPayloadError(job, parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }))).message);
  return { job, inline, timeoutSeconds, data: parsed.data };
}

/** One line describing a result, short enough for a CronJob log. */
function summarize(result: unknown): string {
  const text = JSON.stringify(result) ?? '';
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

async function runQueued(cfg: Config, args: TaskArgs): Promise<number> {
  const connection = createRedis(cfg, 'worker', 'pca-agent-task');
  const queues = createQueues(cfg, connection, [queueOf(args.job)]);
  const eventsConnection = createRedis(cfg, 'worker', 'pca-agent-task:events');
  const queue = queues[queueOf(args.job)];
  // Read events from just before the enqueue, not from "$": QueueEvents' first XREAD may go out after a
  // fast worker has already finished the job, and a "completed" event read from "$" would be missed.
  const [newest] = await connection.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
  const events = new QueueEvents(queueOf(args.job), { connection: eventsConnection, prefix: bullPrefix(cfg.REDIS_KEY_PREFIX), lastEventId: newest?.[0] ?? '0-0' });
  const started = Date.now();
  try {
    await events.waitUntilReady();
    const job = await enqueue(queues, args.job, args.data);
    try {
      const result: unknown = await job.waitUntilFinished(events, args.timeoutSeconds * 1000);
      process.stdout.write(`${args.job} ${job.id} completed in ${((Date.now() - started) / 1000).toFixed(1)}s: ${summarize(result)}\n`);
      return 0;
    } catch (err) {
      const message = (err as Error).message;
      if (/timed out/i.test(message)) {
        const state = await job.getState().catch(() => 'unknown');
        process.stderr.write(`${args.job} ${job.id} did not finish within ${args.timeoutSeconds}s (state: ${state})\n`);
      } else {
        process.stderr.write(`${args.job} ${job.id} failed: ${message}\n`);
      }
      return 1;
    }
  } finally {
    // BullMQ does not close connections it was given: every one is closed here, or the process lingers.
    await events.close().catch(() => undefined);
    await closeQueues(queues);
    await closeRedis(eventsConnection);
    await closeRedis(connection);
  }
}

async function runInline(cfg: Config, args: TaskArgs): Promise<number> {
  const logger = createLogger({ service: 'pca-agent-task', level: cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL });
  const redis = createRedis(cfg, 'worker', 'pca-agent-task');
  const queues = createQueues(cfg, redis);
  const stores = createStores(redis, cfg);
  const started = Date.now();
  const id = `inline-${newTaskId()}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      runJob({ id, name: args.job, data: args.data, updateProgress: () => Promise.resolve() }, createProcessorContext(cfg, redis, queues, logger, stores)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${args.timeoutSeconds}s`)), args.timeoutSeconds * 1000);
      }),
    ]);
    process.stdout.write(`${args.job} (inline) completed in ${((Date.now() - started) / 1000).toFixed(1)}s: ${summarize(result)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${args.job} (inline) failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
    await closeQueues(queues);
    await stores.close();
    await closeRedis(redis);
  }
}

/**
 * `main.js task <job> [--inline] [--timeout 600]`: what the CronJobs run. Enqueues and waits by default
 * (visible in the dashboard, traced); `--inline` runs the processor here. Exit 0 success, 1 failure,
 * 2 usage error, with one line saying what happened.
 */
export async function runTask(argv: readonly string[]): Promise<number> {
  let args: TaskArgs;
  try {
    args = parseTaskArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`task: ${err.message}; ${USAGE}\n`);
    return 2;
  }
  const cfg = loadConfig();
  return args.inline ? runInline(cfg, args) : runQueued(cfg, args);
}
