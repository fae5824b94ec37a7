import { loadConfig } from '../../services/src/config/env';
import { createLogger } from '../../services/src/lib/logger';
import { isJobName } from '../../services/src/queues/contract';
import { startWorker } from '../../services/src/workers/main';
import { PROCESSORS } from '../../services/src/workers/processors';
import { reportJobs } from './job-reporter';

/**
 * pca-agent's worker process as `main.js worker` builds it (startWorker: options, telemetry, metrics,
 * probes, logging), started with the telemetry preload by the bench. BENCH_NOOP_JOB=<job name> swaps
 * that job's processor for one that does nothing, so the wiring's own cost is what gets measured.
 */
async function main(): Promise<void> {
  const noop = process.env.BENCH_NOOP_JOB;
  if (noop) {
    if (!isJobName(noop)) throw new Error(`BENCH_NOOP_JOB=${noop} is not a job name`);
    const table = PROCESSORS as unknown as Record<string, unknown>;
    const doNothing = async () => ({});
    table[noop] = doNothing;
    if (table[noop] !== doNothing) throw new Error('PROCESSORS cannot be patched (frozen?): no-op wiring bench impossible');
  }
  const cfg = loadConfig();
  const logger = createLogger({ service: 'pca-agent-worker', level: cfg.LOG_LEVEL });
  const proc = await startWorker(cfg, logger);
  await Promise.all(proc.workers.map((w) => w.waitUntilReady()));
  reportJobs(proc.workers, () => proc.close());
}

main().catch((err: unknown) => {
  process.stderr.write(`pca-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
