import { createHash } from 'node:crypto';
import { QueueEvents, type Job } from 'bullmq';
import { loadConfig, type Config } from '../config/env';
import { parseCommandLine } from '../lib/command-line';
import { UsageError } from '../lib/errors';
import { bullPrefix } from '../lib/keys';
import { createLogger } from '../lib/logger';
import { closeRedis, createRedis, type RedisClient } from '../lib/redis';
import { isJobName, JOB_NAMES, PAYLOADS, queueOf, TASK_ID_PATTERN, type JobName } from '../queues/contract';
import { InvalidPayloadError } from '../queues/errors';
import { closeQueues, createQueues, enqueue, newTaskId } from '../queues/queues';
import { shutdownTelemetry } from '../telemetry/sdk';
import { SERVICE_NAMES } from '../telemetry/service-names';
import { JOB_TIMEOUT_VARIABLES, jobTimeoutSeconds } from '../workers/job-deadline';
import { createStores } from '../storage/stores';
import { createProcessorContext } from '../workers/processor-context';
import { runJob } from '../workers/processors';

const USAGE = `usage: task <job_name> [--inline] [--timeout <seconds>] [--run-id <id>] [--data <json>]  (jobs: ${JOB_NAMES.join(', ')})`;

/** What `task` exits with; the CronJob's pod status shows it. */
export const TASK_EXIT = {
  /** the job completed */
  ok: 0,
  /** the job ran and failed (its reason is printed) */
  failed: 1,
  /** bad arguments */
  usage: 2,
  /** --timeout passed before the job finished; a queued job that had not started was removed */
  timedOut: 3,
  /** Redis did not answer within --timeout */
  redisUnreachable: 4,
} as const;

export interface TaskArgs {
  readonly job: JobName;
  readonly inline: boolean;
  readonly timeoutSeconds: number;
  readonly runId: string | undefined;
  readonly data: unknown;
}

export function parseTaskArgs(args: readonly string[]): TaskArgs {
  const { values, positionals } = parseCommandLine({
    args: [...args],
    allowPositionals: true,
    options: { inline: { type: 'boolean', default: false }, timeout: { type: 'string' }, 'run-id': { type: 'string' }, data: { type: 'string' } },
  });
  const [job, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const timeoutSeconds = values.timeout === undefined ? 600 : Number(values.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 86_400) {
    throw new UsageError(`--timeout needs whole seconds between 1 and 86400, got "${values.timeout ?? ''}"`);
  }
  const runId = values['run-id'];
  if (runId !== undefined && !/^[A-Za-z0-9_.-]{1,253}$/.test(runId)) throw new UsageError(`--run-id needs letters, digits, _ . - (1-253 chars), got "${runId}"`);
  let data: unknown = {};
  if (values.data !== undefined) {
    try {
      data = JSON.parse(values.data);
    } catch {
      throw new UsageError('--data needs a JSON object');
    }
  }
  if (!job) throw new UsageError('a job name is required');
  if (!isJobName(job)) throw new UsageError(`unknown job "${job}"`);
  const parsed = PAYLOADS[job].safeParse(data);
  if (!parsed.success) throw new UsageError(new InvalidPayloadError(job, parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }))).message);
  return { job, inline: values.inline, timeoutSeconds, runId, data: parsed.data };
}

/**
 * The queued job id of one scheduled run: the same run (a CronJob pod and its retries) always gets the
 * same id, so a retried pod attaches to the job its predecessor queued instead of adding a second one.
 */
export function scheduledJobId(job: JobName, runId: string): string {
  const readable = `${job}-${runId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  if (TASK_ID_PATTERN.test(readable)) return readable;
  return `${job}-${createHash('sha256').update(runId).digest('hex').slice(0, 64 - job.length - 1)}`;
}

/** One line describing a result, short enough for a CronJob log. */
function summarize(result: unknown): string {
  const text = JSON.stringify(result) ?? '';
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

class Deadline {
  private readonly at: number;

  constructor(readonly seconds: number) {
    // From process start: node's own start-up and every connection attempt count against --timeout.
    this.at = performance.timeOrigin + seconds * 1000;
  }

  get remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** `work`, or undefined when the deadline passes first. */
  async race<T>(work: Promise<T>): Promise<{ value: T } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work.then((value) => ({ value })),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), this.remainingMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Connects within the deadline; prints the one line and returns false when Redis never answers. */
async function connected(redis: RedisClient, cfg: Config, what: string, deadline: Deadline): Promise<boolean> {
  let lastError = '';
  const onError = (err: Error) => (lastError = err.message);
  redis.on('error', onError);
  const ping = await deadline.race(redis.ping().catch((err: Error) => err));
  redis.off('error', onError);
  if (ping && !(ping.value instanceof Error)) return true;
  const where = new URL(cfg.REDIS_URL);
  const reason = ping?.value instanceof Error ? ping.value.message : lastError || 'no answer';
  process.stderr.write(`${what}: Redis at ${where.hostname}:${where.port || 6379} unreachable within ${deadline.seconds}s (${reason}); exit ${TASK_EXIT.redisUnreachable}\n`);
  return false;
}

/** Closes within half a second, so the exit follows --timeout closely; what is left is disconnected. */
async function closeQuickly(steps: (() => Promise<unknown> | undefined)[], connections: RedisClient[]): Promise<void> {
  const all = (async () => {
    for (const step of steps) await Promise.resolve(step()).catch(() => undefined);
    await Promise.all(connections.map((c) => closeRedis(c)));
  })();
  await Promise.race([all, new Promise((r) => setTimeout(r, 500))]);
  for (const c of connections) c.disconnect();
}

const WAITING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/** After --timeout: a job no worker has started is removed (nobody waits for it any more); a running one is left to its own deadline. */
async function giveUp(job: Job, args: TaskArgs, cfg: Config): Promise<string> {
  const state = await Promise.race([job.getState(), new Promise<string>((r) => setTimeout(() => r('unknown'), 2000))]).catch(() => 'unknown');
  if (WAITING_STATES.has(state)) {
    const removed = await job.remove().then(() => true, () => false);
    if (removed) return `state: ${state}; removed from the queue, it will not run later`;
  }
  if (state === 'active') {
    return `state: active; left to the worker, which aborts it at ${JOB_TIMEOUT_VARIABLES[args.job]}=${jobTimeoutSeconds(cfg, args.job)}s; a retry of this run attaches to it`;
  }
  return `state: ${state}`;
}

async function runQueued(cfg: Config, args: TaskArgs, deadline: Deadline): Promise<number> {
  const connection = createRedis(cfg, 'worker', SERVICE_NAMES.task);
  const eventsConnection = createRedis(cfg, 'worker', `${SERVICE_NAMES.task}:events`);
  const queueName = queueOf(args.job);
  const queues = createQueues(cfg, connection, [queueName]);
  const queue = queues[queueName];
  let events: QueueEvents | undefined;
  const started = Date.now();
  const jobId = args.runId ? scheduledJobId(args.job, args.runId) : newTaskId();
  try {
    if (!(await connected(connection, cfg, `${args.job} ${jobId}`, deadline))) return TASK_EXIT.redisUnreachable;
    // Read events from just before the enqueue, not from "$": QueueEvents' first XREAD may go out after a
    // fast worker has already finished the job, and a "completed" event read from "$" would be missed.
    const [newest] = await connection.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
    events = new QueueEvents(queueName, { connection: eventsConnection, prefix: bullPrefix(cfg.REDIS_KEY_PREFIX), lastEventId: newest?.[0] ?? '0-0' });
    events.on('error', () => undefined); // a lost connection shows as the deadline, in one line
    const ready = await deadline.race(events.waitUntilReady());
    const earlier = args.runId ? await queue.getJob(jobId) : undefined;
    // With an id that exists BullMQ adds nothing: the run attaches to the job already queued (or finished).
    const job = earlier ?? (await enqueue(queues, args.job, args.data, { jobId }));
    const attached = earlier ? ' (attached to the job an earlier pod of this run queued)' : '';
    const outcome = ready ? await deadline.race(job.waitUntilFinished(events, deadline.remainingMs + 1000).then((r: unknown) => ({ ok: true as const, r }), (e: Error) => ({ ok: false as const, e }))) : undefined;
    // waitUntilFinished's own ttl (just past the deadline) counts as the deadline, not as a job failure.
    if (!outcome || (!outcome.value.ok && /timed out before finishing/.test(outcome.value.e.message))) {
      process.stderr.write(`${args.job} ${jobId} did not finish within ${args.timeoutSeconds}s${attached} (${await giveUp(job, args, cfg)}); exit ${TASK_EXIT.timedOut}\n`);
      return TASK_EXIT.timedOut;
    }
    if (!outcome.value.ok) {
      process.stderr.write(`${args.job} ${jobId} failed${attached}: ${outcome.value.e.message}\n`);
      return TASK_EXIT.failed;
    }
    process.stdout.write(`${args.job} ${jobId} completed in ${((Date.now() - started) / 1000).toFixed(1)}s${attached}: ${summarize(outcome.value.r)}\n`);
    return TASK_EXIT.ok;
  } finally {
    // BullMQ does not close connections it was given: every one is closed here, or the process lingers.
    await closeQuickly([() => events?.close(), () => closeQueues(queues)], [eventsConnection, connection]);
  }
}

async function runInline(cfg: Config, args: TaskArgs, deadline: Deadline): Promise<number> {
  const logger = createLogger({ service: SERVICE_NAMES.task, level: cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL });
  const redis = createRedis(cfg, 'worker', SERVICE_NAMES.task);
  const queues = createQueues(cfg, redis);
  const stores = createStores(redis, cfg);
  const started = Date.now();
  const id = args.runId ? scheduledJobId(args.job, args.runId) : `inline-${newTaskId()}`;
  try {
    if (!(await connected(redis, cfg, `${args.job} (inline)`, deadline))) return TASK_EXIT.redisUnreachable;
    const run = runJob({ id, name: args.job, data: args.data, updateProgress: () => Promise.resolve() }, createProcessorContext(cfg, redis, queues, logger, stores)).then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, e }),
    );
    const outcome = await deadline.race(run);
    if (!outcome) {
      process.stderr.write(`${args.job} (inline) did not finish within ${args.timeoutSeconds}s; exit ${TASK_EXIT.timedOut}\n`);
      return TASK_EXIT.timedOut;
    }
    if (!outcome.value.ok) {
      process.stderr.write(`${args.job} (inline) failed: ${outcome.value.e.message}\n`);
      return TASK_EXIT.failed;
    }
    process.stdout.write(`${args.job} (inline) completed in ${((Date.now() - started) / 1000).toFixed(1)}s: ${summarize(outcome.value.r)}\n`);
    return TASK_EXIT.ok;
  } finally {
    await closeQuickly([() => closeQueues(queues), () => stores.close()], [redis]);
  }
}

/**
 * `main.js task <job> [--inline] [--timeout 600] [--run-id <id>]`: what the CronJobs run. Enqueues and
 * waits by default (visible in the dashboard, traced); `--inline` runs the processor here. `--timeout`
 * counts from process start, connecting included. One line per outcome; exit codes in TASK_EXIT.
 */
export async function runTask(argv: readonly string[]): Promise<number> {
  let args: TaskArgs;
  try {
    args = parseTaskArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`task: ${err.message}; ${USAGE}\n`);
    return TASK_EXIT.usage;
  }
  const cfg = loadConfig();
  const deadline = new Deadline(args.timeoutSeconds);
  args = { ...args, runId: args.runId ?? cfg.TASK_RUN_ID };
  const code = await (args.inline ? runInline(cfg, args, deadline) : runQueued(cfg, args, deadline));
  // This run's spans leave first (process.exit skips the preload's beforeExit flush); then whatever still
  // holds the event loop (a hung inline job, a socket) must not outlive the answer.
  await shutdownTelemetry(2000);
  setTimeout(() => process.exit(code), 100).unref();
  return code;
}
