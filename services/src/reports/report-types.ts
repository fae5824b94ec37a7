import type { Channel } from '../domain/campaign';
import type { Kpis, Totals } from '../domain/kpi';

/** KPIs a benchmark covers (CVR is the domain's `conversion_rate`). */
export const BENCHMARK_METRICS = ['ctr', 'cpc', 'cpa', 'conversion_rate', 'roas'] as const;
export type BenchmarkMetric = (typeof BENCHMARK_METRICS)[number];

/** Lower is better for costs, higher for everything else. */
export const LOWER_IS_BETTER: ReadonlySet<BenchmarkMetric> = new Set(['cpc', 'cpa']);

export interface Distribution {
  readonly p25: number;
  readonly median: number;
  readonly p75: number;
  /** Campaigns with a defined value for this metric. */
  readonly n: number;
}

export interface ChannelBenchmark {
  readonly campaigns: number;
  readonly metrics: Partial<Record<BenchmarkMetric, Distribution>>;
}

export interface BenchmarkSet {
  readonly refreshed_at: string;
  readonly window_days: number;
  readonly window_start: string;
  readonly window_end: string;
  readonly campaigns: number;
  readonly channels: Partial<Record<Channel, ChannelBenchmark>>;
}

export interface CampaignLine extends Totals {
  readonly id: string;
  readonly name: string;
  readonly channel: Channel;
  readonly status: string;
  readonly start_date: string;
  readonly end_date: string;
  readonly currency: string;
  readonly kpis: Kpis;
}

export interface ChannelLine extends Totals {
  readonly channel: Channel;
  readonly campaigns: number;
  readonly kpis: Kpis;
}

export interface BenchmarkComparison {
  readonly channel: Channel;
  readonly metric: BenchmarkMetric;
  readonly value: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  /** (value - median) / median × 100, rounded to 0.1; null when the median is 0. */
  readonly difference_pct: number | null;
  readonly position: 'above' | 'below' | 'equal';
  /** better/worse than the median taking the metric's direction into account; in_line inside p25..p75. */
  readonly assessment: 'better' | 'worse' | 'in_line';
}

export type InsightType = 'best_performer' | 'worst_performer' | 'overspend' | 'ctr_outlier' | 'cpa_outlier';

export interface Insight {
  readonly rank: number;
  readonly type: InsightType;
  readonly severity: 'high' | 'medium' | 'low';
  readonly campaign_id: string;
  readonly campaign_name: string;
  readonly channel: Channel;
  readonly title: string;
  readonly detail: string;
  readonly score: number;
}

export interface CampaignReport {
  readonly generated_at: string;
  readonly filters: Record<string, unknown>;
  readonly source: 'stored' | 'inline';
  readonly currencies: string[];
  readonly totals: Totals & { readonly campaigns: number; readonly kpis: Kpis };
  readonly campaigns: CampaignLine[];
  readonly channels: ChannelLine[];
  readonly benchmarks: {
    readonly refreshed_at: string | null;
    readonly window_days: number | null;
    readonly comparisons: BenchmarkComparison[];
  };
  readonly insights: Insight[];
  readonly follow_up_questions: string[];
}
