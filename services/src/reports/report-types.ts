import type { BenchmarkMetric } from '../queues/results';

export {
  BENCHMARK_METRICS,
  type BenchmarkComparison,
  type BenchmarkMetric,
  type BenchmarkSet,
  type CampaignLine,
  type CampaignReport,
  type ChannelBenchmark,
  type ChannelLine,
  type Distribution,
  type Insight,
  type InsightType,
} from '../queues/results';

/** Lower is better for costs, higher for everything else. */
export const LOWER_IS_BETTER: ReadonlySet<BenchmarkMetric> = new Set(['cpc', 'cpa']);
