import { Redis } from 'ioredis';
import { bullPrefix } from '../../../services/src/lib/keys';
import { isJobName, queueOf } from '../../../services/src/queues/contract';

/**
 * Why a `task <job>` container did not exit in time, from what Redis holds: whether a job of that name
 * finished after the process started (then the task missed the completion) or never ran (no worker
 * took it). Empty when the container is not a task or Redis cannot be read.
 */
export async function explainStuckTask(argv: readonly string[], env: Readonly<Record<string, string>>, startedAt: number): Promise<string> {
  const job = argv[argv.indexOf('task') + 1];
  if (!argv.includes('task') || !job || !isJobName(job) || !env.REDIS_URL) return '';
  const queue = `${bullPrefix(env.REDIS_KEY_PREFIX ?? 'pca')}:${queueOf(job)}`;
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    const states: string[] = [];
    for (const state of ['completed', 'failed']) {
      const ids = await redis.zrangebyscore(`${queue}:${state}`, startedAt, '+inf');
      for (const id of ids) if ((await redis.hget(`${queue}:${id}`, 'name')) === job) states.push(`${id} ${state} ${(Number(await redis.hget(`${queue}:${id}`, 'finishedOn')) - startedAt) / 1000} s after the task started`);
    }
    const waiting = await redis.llen(`${queue}:wait`);
    return states.length
      ? `; in Redis the task's job finished (${states.join(', ')}) but the task process never noticed: it missed the completion`
      : `; no ${job} job finished in Redis since the task started (${waiting} waiting in ${queue}:wait)`;
  } catch (e) {
    return `; Redis could not be read to explain it: ${(e as Error).message}`;
  } finally {
    redis.disconnect();
  }
}
