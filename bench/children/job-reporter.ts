import { performance } from 'node:perf_hooks';
import type { Job, Worker } from 'bullmq';
import { memoryKb } from '../proc-status';
import type { ChildMessage } from '../child-process';

const send = (m: ChildMessage) => process.send?.(m);
/** CPU time (user + system, every thread) the process has used so far. */
const cpuUs = () => {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
};

/**
 * The worker helpers' side of the bench protocol. Sends `ready`; with BENCH_EXPECT=n, one `done` after n
 * completions or failures (first and last completion time, for a steady-state rate, and the CPU time used between
 * them); after a `report-each` message
 * (or with BENCH_EXPECT unset) one `completed` per job with BullMQ's own timestamps, the peak RSS and the CPU
 * time used so far (`ready` carries the CPU time at start).
 * A `stop` message closes the workers and exits.
 */
export function reportJobs(workers: readonly Worker[], close: () => Promise<unknown>): void {
  const expect = Number(process.env.BENCH_EXPECT ?? 0);
  let reportEach = expect === 0;
  let count = 0;
  let failed = 0;
  let first = 0;
  let last = 0;
  let cpuAtFirst = process.cpuUsage();
  const settled = () => {
    if (expect > 0 && count + failed === expect) {
      const cpu = process.cpuUsage(cpuAtFirst);
      send({ kind: 'done', count, failed, first_ms: first, last_ms: last, cpu_us: cpu.user + cpu.system });
    }
  };
  const onCompleted = (job: Job) => {
    const now = performance.now();
    count++;
    if (count === 1) {
      first = now;
      cpuAtFirst = process.cpuUsage();
    }
    last = now;
    settled();
    if (reportEach) {
      const result = JSON.stringify(job.returnvalue ?? null);
      send({
        kind: 'completed',
        id: job.id ?? '',
        processed_on: job.processedOn ?? 0,
        finished_on: job.finishedOn ?? 0,
        result: result.length > 2000 ? result.slice(0, 2000) : result,
        memory_kb: { ...memoryKb() },
        cpu_us: cpuUs(),
      });
    }
  };
  for (const w of workers) {
    w.on('completed', onCompleted);
    w.on('failed', (job, err) => {
      failed++;
      send({ kind: 'failed', id: job?.id ?? '', reason: err.message });
      settled();
    });
  }
  process.on('message', (m: ChildMessage) => {
    if (m.kind === 'report-each') reportEach = true;
    if (m.kind === 'stop') {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  // The bench went away: do not linger holding Redis connections.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready', memory_kb: { ...memoryKb() }, cpu_us: cpuUs() });
}
