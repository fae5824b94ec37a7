import { BenchmarkBuilder } from '../reports/benchmarks';
import { saveBenchmarks } from '../storage/json-records';
import type { Processor } from './processor-context';

/** Recomputes per-channel benchmarks over the window from stored campaigns; reports read the latest. */
export const refreshBenchmarks: Processor<'refresh_benchmarks'> = async (_job, ctx) => {
  const builder = new BenchmarkBuilder(ctx.cfg.BENCHMARK_WINDOW_DAYS, ctx.now());
  for await (const chunk of ctx.store.iterate(builder.filter)) builder.add(chunk);
  const set = builder.build();
  await saveBenchmarks(ctx.redis, ctx.cfg.REDIS_KEY_PREFIX, set);
  return set;
};
