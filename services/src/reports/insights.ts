import type { Channel } from '../domain/campaign';
import { isOverspending } from '../domain/kpi';
import type { BenchmarkMetric, BenchmarkSet, CampaignLine, ChannelLine, Insight } from './report-types';

type Draft = Omit<Insight, 'rank' | 'score'> & { spend: number };

const SEVERITY_WEIGHT = { high: 3, medium: 2, low: 1 } as const;
const MAX_INSIGHTS = 20;
/** Below these volumes a ratio is noise, not a finding. */
const MIN_IMPRESSIONS_FOR_CTR = 1000;
const MIN_CONVERSIONS_FOR_CPA = 1;

const pct = (v: number) => `${Math.round(v * 100)}%`;
const times = (v: number) => `${v.toFixed(1)}×`;

/** The value a campaign is judged against: the benchmark median, else the channel in this report. */
function reference(channel: Channel, metric: BenchmarkMetric, channels: readonly ChannelLine[], benchmarks: BenchmarkSet | null) {
  const median = benchmarks?.channels[channel]?.metrics[metric]?.median;
  if (median !== undefined && median > 0) return { value: median, label: `${channel} benchmark median` };
  const own = channels.find((c) => c.channel === channel)?.kpis[metric];
  return own ? { value: own, label: `${channel} average in this report` } : undefined;
}

/**
 * Findings worth a marketer's attention, ranked: severity first, then the campaign's share of spend
 * (a problem on a large budget matters more).
 */
export function buildInsights(
  lines: readonly CampaignLine[],
  channels: readonly ChannelLine[],
  benchmarks: BenchmarkSet | null,
  totalSpend: number,
): Insight[] {
  const drafts: Draft[] = [];
  const base = (c: CampaignLine) => ({ campaign_id: c.id, campaign_name: c.name, channel: c.channel, spend: c.spend });

  const withRoas = lines.filter((c) => c.spend > 0 && c.kpis.roas !== null);
  if (withRoas.length >= 2) {
    const sorted = [...withRoas].sort((a, b) => b.kpis.roas! - a.kpis.roas! || a.id.localeCompare(b.id));
    const best = sorted[0]!;
    const worst = sorted[sorted.length - 1]!;
    drafts.push({
      ...base(best),
      type: 'best_performer',
      severity: 'medium',
      title: `Best performer: ${best.name}`,
      detail: `ROAS ${best.kpis.roas!.toFixed(2)} on ${best.spend.toFixed(2)} spend, the highest of ${withRoas.length} campaigns.`,
    });
    drafts.push({
      ...base(worst),
      type: 'worst_performer',
      severity: worst.kpis.roas! < 1 ? 'high' : 'medium',
      title: `Worst performer: ${worst.name}`,
      detail: `ROAS ${worst.kpis.roas!.toFixed(2)} on ${worst.spend.toFixed(2)} spend${worst.kpis.roas! < 1 ? ': it returns less than it costs' : ''}.`,
    });
  }

  for (const c of lines) {
    const pacing = c.kpis.budget_pacing;
    if (isOverspending(pacing)) {
      drafts.push({
        ...base(c),
        type: 'overspend',
        severity: pacing >= 1.25 ? 'high' : 'medium',
        title: `Overspending: ${c.name}`,
        detail: `Spent ${c.spend.toFixed(2)} of a ${c.budget.toFixed(2)} budget, ${pct(pacing)} of what its flight so far allows.`,
      });
    }

    const ctrRef = reference(c.channel, 'ctr', channels, benchmarks);
    if (c.kpis.ctr !== null && ctrRef && c.impressions >= MIN_IMPRESSIONS_FOR_CTR) {
      const r = c.kpis.ctr / ctrRef.value;
      if (r < 0.5 || r > 2) {
        drafts.push({
          ...base(c),
          type: 'ctr_outlier',
          severity: r < 0.25 ? 'high' : r < 0.5 ? 'medium' : 'low',
          title: `${r < 1 ? 'Low' : 'High'} CTR: ${c.name}`,
          detail: `CTR ${(c.kpis.ctr * 100).toFixed(2)}% is ${times(r)} the ${ctrRef.label} (${(ctrRef.value * 100).toFixed(2)}%).`,
        });
      }
    }

    const cpaRef = reference(c.channel, 'cpa', channels, benchmarks);
    if (c.kpis.cpa !== null && cpaRef && c.conversions >= MIN_CONVERSIONS_FOR_CPA) {
      const r = c.kpis.cpa / cpaRef.value;
      if (r > 1.5 || r < 0.5) {
        drafts.push({
          ...base(c),
          type: 'cpa_outlier',
          severity: r > 2 ? 'high' : r > 1.5 ? 'medium' : 'low',
          title: `${r > 1 ? 'High' : 'Low'} CPA: ${c.name}`,
          detail: `CPA ${c.kpis.cpa.toFixed(2)} is ${times(r)} the ${cpaRef.label} (${cpaRef.value.toFixed(2)}).`,
        });
      }
    }
  }

  return drafts
    .map(({ spend, ...d }) => ({
      ...d,
      score: Math.round((SEVERITY_WEIGHT[d.severity] * 100 + (totalSpend > 0 ? (spend / totalSpend) * 100 : 0)) * 100) / 100,
    }))
    .sort((a, b) => b.score - a.score || a.campaign_id.localeCompare(b.campaign_id) || a.type.localeCompare(b.type))
    .slice(0, MAX_INSIGHTS)
    .map((d, i) => ({ rank: i + 1, ...d }));
}

/** Questions a marketer would ask next, drawn from the findings; at most five. */
export function followUpQuestions(
  insights: readonly Insight[],
  channels: readonly ChannelLine[],
  benchmarks: BenchmarkSet | null,
): string[] {
  const out: string[] = [];
  const byRoas = channels.filter((c) => c.kpis.roas !== null && c.spend > 0).sort((a, b) => b.kpis.roas! - a.kpis.roas!);
  if (byRoas.length >= 2) {
    const best = byRoas[0]!;
    const worst = byRoas[byRoas.length - 1]!;
    out.push(
      `Would shifting budget from ${worst.channel} (ROAS ${worst.kpis.roas!.toFixed(2)}) to ${best.channel} (ROAS ${best.kpis.roas!.toFixed(2)}) raise total revenue without losing reach?`,
    );
  }
  const first = (type: Insight['type'], pred: (i: Insight) => boolean = () => true) =>
    insights.find((i) => i.type === type && pred(i));
  const overspend = first('overspend');
  if (overspend) out.push(`Should the budget of "${overspend.campaign_name}" be raised, or its bids capped, given that it is overspending its plan?`);
  const cpa = first('cpa_outlier', (i) => i.severity !== 'low');
  if (cpa) out.push(`What changed in "${cpa.campaign_name}" to push its cost per acquisition so far above the ${cpa.channel} reference?`);
  const ctr = first('ctr_outlier', (i) => i.severity !== 'low');
  if (ctr) out.push(`Is it the creative or the targeting that keeps the click-through rate of "${ctr.campaign_name}" low?`);
  const worst = first('worst_performer');
  if (worst) out.push(`Should "${worst.campaign_name}" be paused or restructured?`);
  if (!benchmarks) out.push('How do these channels compare with their own history once benchmarks are refreshed (refresh_benchmarks)?');
  return out.slice(0, 5);
}
