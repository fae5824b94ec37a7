import { performance } from 'node:perf_hooks';
import { Queue, type JobsOptions } from 'bullmq';
import { loadConfig } from '../../services/src/config/env';
import { WORKER_NODE_FLAGS } from '../../services/src/config/node-flags';
import { bullPrefix } from '../../services/src/lib/keys';
import { defaultJobOptions, JOB_OPTIONS } from '../../services/src/queues/queues';
import { BenchChild, childScript, freePort } from '../child-process';
import { deleteKeys, serviceEnv, type BenchContext } from '../context';
import { atLeast, atMost, pairedRatios, percentile } from '../stats';

const QUEUE = 'maintenance';
const JOB = 'health_check';
const ADD_BULK_CHUNK = 1000;

type Variant = 'pca' | 'pca_untraced' | 'pca_untraced_quiet' | 'bare';
const VARIANTS: readonly Variant[] = ['pca', 'pca_untraced', 'pca_untraced_quiet', 'bare'];
/** Diagnostic variants (no target): they show what the wiring's cost is made of. */
const DIAGNOSTIC: ReadonlySet<Variant> = new Set(['pca_untraced', 'pca_untraced_quiet']);

async function startWorkerChild(ctx: BenchContext, variant: Variant, prefix: string, expect: number): Promise<BenchChild> {
  const concurrency = String(ctx.opts.worker.concurrency);
  const child =
    variant !== 'bare'
      ? new BenchChild({
          name: `pca-agent worker (${variant})`,
          args: [childScript('pca-worker')],
          telemetry: true,
          nodeFlags: WORKER_NODE_FLAGS,
          env: {
            ...serviceEnv(ctx, prefix, variant === 'pca'),
            // As shipped (npm start and the chart): a tenth of the traces that start in the worker are kept.
            OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
            OTEL_TRACES_SAMPLER_ARG: '0.1',
            // quiet: no per-job "job completed" log line
            ...(variant === 'pca_untraced_quiet' ? { LOG_LEVEL: 'warn' } : {}),
            OTEL_SERVICE_NAME: 'pca-agent-worker',
            WORKER_QUEUES: QUEUE,
            WORKER_CONCURRENCY: concurrency,
            // The maintenance queue runs one job at a time by default; the comparison is at the bare worker's concurrency.
            WORKER_CONCURRENCY_MAINTENANCE: concurrency,
            WORKER_HTTP_PORT: String(await freePort()),
            BENCH_NOOP_JOB: JOB,
            BENCH_EXPECT: String(expect),
          },
        })
      : new BenchChild({
          name: 'bare BullMQ worker',
          args: [childScript('bare-worker')],
          env: {
            REDIS_URL: ctx.redisUrl,
            BENCH_QUEUE: QUEUE,
            BENCH_BULL_PREFIX: bullPrefix(prefix),
            BENCH_CONCURRENCY: concurrency,
            BENCH_EXPECT: String(expect),
          },
        });
  await child.waitForKind('ready', 30_000);
  return child;
}

/**
 * Figure 3: no-op jobs through pca-agent's worker wiring vs a bare BullMQ Worker, same concurrency, same
 * jobs (pca-agent's default job options), enqueued with addBulk into the paused queue before the worker
 * starts, released once it is ready. The rate is taken from first to last completion (steady state,
 * start-up excluded). Then single jobs, one at a time, for the enqueue-to-complete latency. Two
 * diagnostic variants (tracing off; tracing off and no per-job log line) show what the wiring costs.
 */
export async function benchWorker(ctx: BenchContext): Promise<void> {
  const { opts, figures } = ctx;
  const cfg = loadConfig({});
  const jobOpts: JobsOptions = { ...defaultJobOptions(cfg), ...JOB_OPTIONS[JOB] };
  const rates: Record<Variant, number[]> = { pca: [], pca_untraced: [], pca_untraced_quiet: [], bare: [] };
  const cpuPerJob: Record<Variant, number[]> = { pca: [], pca_untraced: [], pca_untraced_quiet: [], bare: [] };
  const enqueueRates: number[] = [];
  const p50: Record<Variant, number[]> = { pca: [], pca_untraced: [], pca_untraced_quiet: [], bare: [] };
  const p99: Record<Variant, number[]> = { pca: [], pca_untraced: [], pca_untraced_quiet: [], bare: [] };

  for (let r = 0; r < opts.rounds; r++) {
    // Alternate the order round by round so a slow drift of the machine does not favour one variant.
    for (const variant of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      const prefix = `${ctx.basePrefix}.wk${r}${variant}`;
      const queue = new Queue(QUEUE, { connection: ctx.redis, prefix: bullPrefix(prefix) });
      const n = DIAGNOSTIC.has(variant) ? opts.worker.untracedJobs : opts.worker.jobs;
      let child: BenchChild | undefined;
      try {
        // Paused until the worker has its listeners: a job finished before that would never be counted.
        await queue.pause();
        const t0 = performance.now();
        for (let i = 0; i < n; i += ADD_BULK_CHUNK) {
          const size = Math.min(ADD_BULK_CHUNK, n - i);
          await queue.addBulk(Array.from({ length: size }, () => ({ name: JOB, data: {}, opts: jobOpts })));
        }
        if (!DIAGNOSTIC.has(variant)) enqueueRates.push(n / ((performance.now() - t0) / 1000));
        child = await startWorkerChild(ctx, variant, prefix, n);
        await queue.resume();
        const done = (await child.waitForKind('done', 300_000)) as unknown as {
          count: number;
          failed: number;
          first_ms: number;
          last_ms: number;
          cpu_us: number;
        };
        if (done.failed > 0) {
          const first = (await child.waitForKind('failed', 1000)) as unknown as { reason: string };
          throw new Error(`${variant} worker: ${done.failed} no-op jobs failed, the first with: ${first.reason}`);
        }
        rates[variant].push((done.count - 1) / ((done.last_ms - done.first_ms) / 1000));
        cpuPerJob[variant].push(done.cpu_us / (done.count - 1));
        ctx.log(`worker: round ${r + 1} ${variant}: ${rates[variant].at(-1)!.toFixed(0)} jobs/s`);

        if (DIAGNOSTIC.has(variant)) continue;
        child.send({ kind: 'report-each' });
        const latencies: number[] = [];
        for (let i = 0; i < opts.worker.latencySamples; i++) {
          const start = performance.now();
          const job = await queue.add(JOB, {}, jobOpts);
          await child.waitFor((m) => m.kind === 'completed' && m.id === job.id, 10_000, `completion of job ${job.id}`);
          latencies.push(performance.now() - start);
        }
        p50[variant].push(percentile(latencies, 50));
        p99[variant].push(percentile(latencies, 99));
      } finally {
        await child?.stop();
        await queue.close();
        await deleteKeys(ctx.redis, `${prefix}:*`);
      }
    }
  }

  const n = opts.worker.jobs;
  figures.add('worker_pca_jobs_per_s', 'jobs/s', rates.pca, { note: `${n} no-op jobs, concurrency ${opts.worker.concurrency}, tracing on` });
  figures.add('worker_bare_bullmq_jobs_per_s', 'jobs/s', rates.bare, { note: `${n} no-op jobs, concurrency ${opts.worker.concurrency}` });
  figures.add('worker_pca_vs_bare_ratio', '×', pairedRatios(rates.pca, rates.bare), { verdictOf: (m) => atLeast(m, 0.9), note: 'tracing on' });
  figures.add('worker_pca_untraced_jobs_per_s', 'jobs/s', rates.pca_untraced, { note: `${opts.worker.untracedJobs} no-op jobs, OTEL_SDK_DISABLED=true` });
  figures.add('worker_pca_untraced_vs_bare_ratio', '×', pairedRatios(rates.pca_untraced, rates.bare), { note: 'tracing off; no target' });
  figures.add('worker_pca_untraced_quiet_jobs_per_s', 'jobs/s', rates.pca_untraced_quiet, {
    note: `${opts.worker.untracedJobs} no-op jobs, tracing off, LOG_LEVEL=warn`,
  });
  figures.add('worker_pca_untraced_quiet_vs_bare_ratio', '×', pairedRatios(rates.pca_untraced_quiet, rates.bare), {
    note: 'no tracing, no per-job log line; no target',
  });
  // CPU time per job in the worker process: what a busy, shared machine disturbs least.
  for (const v of VARIANTS) figures.add(`worker_${v === 'bare' ? 'bare_bullmq' : v}_cpu_per_job`, 'µs', cpuPerJob[v], { note: 'worker process CPU (user+sys)' });
  figures.add('worker_pca_vs_bare_cpu_per_job_ratio', '×', pairedRatios(cpuPerJob.pca, cpuPerJob.bare), { note: 'CPU cost of the wiring; no target' });
  figures.add('worker_addbulk_enqueue_per_s', 'jobs/s', enqueueRates, { note: `addBulk in chunks of ${ADD_BULK_CHUNK}` });
  const note = `${opts.worker.latencySamples} single jobs per round, enqueue to completed event`;
  figures.add('worker_pca_latency_p50', 'ms', p50.pca, { note });
  figures.add('worker_pca_latency_p99', 'ms', p99.pca, { note });
  figures.add('worker_bare_bullmq_latency_p50', 'ms', p50.bare, { note });
  figures.add('worker_bare_bullmq_latency_p99', 'ms', p99.bare, { note });
  figures.add('worker_pca_vs_bare_latency_p99_ratio', '×', pairedRatios(p99.pca, p99.bare), { verdictOf: (m) => atMost(m, 1.2), note: 'enqueue to completed, p99, tracing on' });
}
