import type { Campaign, Channel } from '../domain/campaign';
import { yieldToEventLoop } from '../lib/event-loop';
import { addTotals, campaignKpis, computeKpis, elapsedShare, emptyTotals, ratio, roundKpis, type Kpis, type Totals } from '../domain/kpi';
import { buildInsights, followUpQuestions } from './insights';
import {
  BENCHMARK_METRICS,
  LOWER_IS_BETTER,
  type BenchmarkComparison,
  type BenchmarkSet,
  type CampaignLine,
  type CampaignReport,
  type ChannelLine,
} from './report-types';

/** A campaign as a report needs it: stored campaigns and inline rows (ids assigned) both fit. */
export type ReportCampaign = Omit<Campaign, 'created_at' | 'updated_at'>;

export interface BuildReportOptions {
  readonly now: Date;
  readonly benchmarks: BenchmarkSet | null;
  readonly filters: Record<string, unknown>;
  readonly source: 'stored' | 'inline';
  /** Called after each chunk with the number of campaigns read so far. */
  readonly onProgress?: (campaignsRead: number) => Promise<void> | void;
  /** Checked between slices: an aborted build stops with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Campaigns processed between two yields to the event loop (a slice stays well under 50 ms). */
const SLICE = 1000;

const cents = (v: number) => Math.round(v * 100) / 100;

function roundTotals<T extends Totals>(t: T): T {
  return { ...t, budget: cents(t.budget), spend: cents(t.spend), revenue: cents(t.revenue) };
}

interface Accumulator {
  totals: Totals;
  expectedSpend: number;
  campaigns: number;
}

function aggregateKpis(acc: Accumulator): Kpis {
  return { ...computeKpis(acc.totals), budget_pacing: ratio(acc.totals.spend, acc.expectedSpend) };
}

/**
 * Builds the campaign report from chunks of campaigns: totals, KPIs per campaign and channel, the
 * comparison with the latest benchmarks, ranked insights and follow-up questions.
 */
export async function buildReport(
  chunks: AsyncIterable<readonly ReportCampaign[]> | Iterable<readonly ReportCampaign[]>,
  opts: BuildReportOptions,
): Promise<CampaignReport> {
  const lines: CampaignLine[] = [];
  const overall: Accumulator = { totals: emptyTotals(), expectedSpend: 0, campaigns: 0 };
  const byChannel = new Map<Channel, Accumulator>();
  const currencies = new Set<string>();

  for await (const chunk of chunks) {
    opts.signal?.throwIfAborted();
    for (const [i, c] of chunk.entries()) {
      if (i > 0 && i % SLICE === 0) {
        await yieldToEventLoop();
        opts.signal?.throwIfAborted();
      }
      const totals: Totals = {
        budget: c.budget,
        spend: c.spend,
        impressions: c.impressions,
        clicks: c.clicks,
        conversions: c.conversions,
        revenue: c.revenue,
      };
      const expected = c.budget * elapsedShare(c.start_date, c.end_date, opts.now);
      lines.push({
        id: c.id,
        name: c.name,
        channel: c.channel,
        status: c.status,
        start_date: c.start_date,
        end_date: c.end_date,
        currency: c.currency,
        ...totals,
        kpis: roundKpis(campaignKpis({ ...totals, start_date: c.start_date, end_date: c.end_date }, opts.now)),
      });
      currencies.add(c.currency);
      for (const acc of [overall, channelAcc(byChannel, c.channel)]) {
        acc.totals = addTotals(acc.totals, totals);
        acc.expectedSpend += expected;
        acc.campaigns++;
      }
    }
    await opts.onProgress?.(lines.length);
  }

  const channels: ChannelLine[] = [...byChannel]
    .sort(([, a], [, b]) => b.totals.spend - a.totals.spend)
    .map(([channel, acc]) => ({
      channel,
      campaigns: acc.campaigns,
      ...roundTotals(acc.totals),
      kpis: roundKpis(aggregateKpis(acc)),
    }));
  const comparisons = compareWithBenchmarks(channels, opts.benchmarks);
  const insights = buildInsights(lines, channels, opts.benchmarks, overall.totals.spend);

  return {
    generated_at: opts.now.toISOString(),
    filters: opts.filters,
    source: opts.source,
    currencies: [...currencies].sort(),
    totals: { campaigns: overall.campaigns, ...roundTotals(overall.totals), kpis: roundKpis(aggregateKpis(overall)) },
    campaigns: lines,
    channels,
    benchmarks: {
      refreshed_at: opts.benchmarks?.refreshed_at ?? null,
      window_days: opts.benchmarks?.window_days ?? null,
      comparisons,
    },
    insights,
    follow_up_questions: followUpQuestions(insights, channels, opts.benchmarks),
  };
}

function channelAcc(map: Map<Channel, Accumulator>, channel: Channel): Accumulator {
  let acc = map.get(channel);
  if (!acc) {
    acc = { totals: emptyTotals(), expectedSpend: 0, campaigns: 0 };
    map.set(channel, acc);
  }
  return acc;
}

/** Each channel KPI against the channel's benchmark distribution. */
export function compareWithBenchmarks(channels: readonly ChannelLine[], benchmarks: BenchmarkSet | null): BenchmarkComparison[] {
  if (!benchmarks) return [];
  const out: BenchmarkComparison[] = [];
  for (const line of channels) {
    const bench = benchmarks.channels[line.channel];
    if (!bench) continue;
    for (const metric of BENCHMARK_METRICS) {
      const dist = bench.metrics[metric];
      const value = line.kpis[metric];
      if (!dist || value === null) continue;
      const diff = ratio(value - dist.median, dist.median);
      const lowerBetter = LOWER_IS_BETTER.has(metric);
      let assessment: BenchmarkComparison['assessment'] = 'in_line';
      if (value > dist.p75) assessment = lowerBetter ? 'worse' : 'better';
      else if (value < dist.p25) assessment = lowerBetter ? 'better' : 'worse';
      out.push({
        channel: line.channel,
        metric,
        value,
        median: dist.median,
        p25: dist.p25,
        p75: dist.p75,
        difference_pct: diff === null ? null : Math.round(diff * 1000) / 10,
        position: value > dist.median ? 'above' : value < dist.median ? 'below' : 'equal',
        assessment,
      });
    }
  }
  return out;
}
