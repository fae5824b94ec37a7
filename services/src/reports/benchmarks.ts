import type { Campaign, Channel } from '../domain/campaign';
import { campaignKpis } from '../domain/kpi';
import { BENCHMARK_METRICS, type BenchmarkMetric, type BenchmarkSet, type ChannelBenchmark, type Distribution } from './report-types';

const DAY_MS = 86_400_000;

/** Linear-interpolated quantile of sorted values (the "type 7" definition spreadsheets use). */
export function sampleQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty list');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function distribution(values: number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { p25: sampleQuantile(sorted, 0.25), median: sampleQuantile(sorted, 0.5), p75: sampleQuantile(sorted, 0.75), n: sorted.length };
}

/**
 * Accumulates campaigns (chunk by chunk) whose flight overlaps the window and turns them into
 * per-channel distributions. Only the five KPI values per campaign are kept, not the campaigns.
 */
export class BenchmarkBuilder {
  private readonly values = new Map<Channel, { campaigns: number; metrics: Record<BenchmarkMetric, number[]> }>();
  private readonly windowStart: string;
  private readonly windowEnd: string;
  private total = 0;

  constructor(
    private readonly windowDays: number,
    private readonly now: Date,
  ) {
    this.windowEnd = now.toISOString().slice(0, 10);
    this.windowStart = new Date(now.getTime() - windowDays * DAY_MS).toISOString().slice(0, 10);
  }

  /** The filter for CampaignStore.iterate: flights overlapping the window. */
  get filter(): { from: string; to: string } {
    return { from: this.windowStart, to: this.windowEnd };
  }

  add(campaigns: Iterable<Campaign>): void {
    for (const c of campaigns) {
      if (c.end_date < this.windowStart || c.start_date > this.windowEnd) continue;
      const kpis = campaignKpis(c, this.now);
      let entry = this.values.get(c.channel);
      if (!entry) {
        entry = { campaigns: 0, metrics: { ctr: [], cpc: [], cpa: [], conversion_rate: [], roas: [] } };
        this.values.set(c.channel, entry);
      }
      entry.campaigns++;
      this.total++;
      for (const m of BENCHMARK_METRICS) {
        const v = kpis[m];
        if (v !== null) entry.metrics[m].push(v);
      }
    }
  }

  build(): BenchmarkSet {
    const channels: Partial<Record<Channel, ChannelBenchmark>> = {};
    for (const [channel, entry] of [...this.values].sort(([a], [b]) => a.localeCompare(b))) {
      const metrics: ChannelBenchmark['metrics'] = {};
      for (const m of BENCHMARK_METRICS) {
        const d = distribution(entry.metrics[m]);
        if (d) metrics[m] = d;
      }
      channels[channel] = { campaigns: entry.campaigns, metrics };
    }
    return {
      refreshed_at: this.now.toISOString(),
      window_days: this.windowDays,
      window_start: this.windowStart,
      window_end: this.windowEnd,
      campaigns: this.total,
      channels,
    };
  }
}
