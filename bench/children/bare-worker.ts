import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { reportJobs } from './job-reporter';
import { NOOP_HEALTH_REPORT } from './noop-result';

/** The baseline: a plain BullMQ Worker whose processor returns the no-op result, BullMQ's defaults except concurrency. */
async function main(): Promise<void> {
  const env = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  const connection = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
  const worker = new Worker(env('BENCH_QUEUE'), async () => NOOP_HEALTH_REPORT, {
    connection,
    prefix: env('BENCH_BULL_PREFIX'),
    concurrency: Number(env('BENCH_CONCURRENCY')),
  });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  reportJobs([worker], async () => {
    await worker.close();
    await connection.quit();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
