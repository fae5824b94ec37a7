import { loadConfig } from '../../services/src/config/env';
import { createLogger } from '../../services/src/lib/logger';
import { isJobName, RESULTS } from '../../services/src/queues/contract';
import { startWorker } from '../../services/src/workers/main';
import { PROCESSORS } from '../../services/src/workers/processors';
import { reportJobs } from './job-reporter';
import { NOOP_HEALTH_REPORT } from './noop-result';

/**
 * pca-agent's worker process as `main.js worker` builds it (startWorker: options, telemetry, metrics,
 * probes, logging), started with the telemetry preload by the bench. BENCH_NOOP_JOB=<job name> swaps
 * that job's processor for one that does nothing, so the wiring's own cost is what gets measured.
 */
const NOOP_RESULTS: Partial<Record<string, unknown>> = { health_check: NOOP_HEALTH_REPORT };

async function main(): Promise<void> {
  const noop = process.env.BENCH_NOOP_JOB;
  if (noop) {
    if (!isJobName(noop)) throw new Error(`BENCH_NOOP_JOB=${noop} is not a job name`);
    // The result must pass the contract's check, or every no-op job fails and none completes.
    const result = NOOP_RESULTS[noop];
    if (!result || !RESULTS[noop].safeParse(result).success) throw new Error(`BENCH_NOOP_JOB=${noop}: no valid no-op result for it`);
    const table = PROCESSORS as unknown as Record<string, unknown>;
    const doNothing = async () => result;
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
