import type { Campaign, Channel } from './campaign';
import { addTotals, campaignKpis, computeKpis, emptyTotals, isOverspending, type Totals } from './kpi';

/** A question worth asking of the stored data, with the request that answers it. */
export interface SuggestedQuestion {
  /** Stable kind of question, e.g. `best_roas_channel_this_month`. */
  readonly id: string;
  readonly question: string;
  /** What the data says right now, in one sentence. */
  readonly finding: string;
  /** Campaigns the question is about (at most 5), best lead first. */
  readonly campaign_ids: readonly string[];
  readonly endpoint: { readonly method: 'GET'; readonly path: string; readonly query: Readonly<Record<string, string>> };
  /** `endpoint` as one relative URL. */
  readonly href: string;
}

const CAMPAIGNS_PATH = '/api/v1/campaigns';
const MAX_IDS = 5;
/** CTR below this share of its channel's CTR counts as under the benchmark. */
export const CTR_BENCHMARK_SHARE = 0.5;
/** Campaigns with fewer impressions have no meaningful CTR. */
const MIN_IMPRESSIONS = 1000;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const fixed = (v: number) => v.toFixed(2);

function endpoint(query: Record<string, string>) {
  const qs = new URLSearchParams(query).toString();
  return { endpoint: { method: 'GET' as const, path: CAMPAIGNS_PATH, query }, href: qs ? `${CAMPAIGNS_PATH}?${qs}` : CAMPAIGNS_PATH };
}

/** Keeps the `size` entries with the highest score without holding every candidate. */
class Top<T> {
  private items: { score: number; value: T }[] = [];
  count = 0;
  constructor(private readonly size: number) {}
  add(score: number, value: T): void {
    this.count++;
    this.items.push({ score, value });
    this.items.sort((a, b) => b.score - a.score);
    if (this.items.length > this.size) this.items.length = this.size;
  }
  get values(): T[] {
    return this.items.map((i) => i.value);
  }
}

/**
 * Computes suggested questions from campaigns fed in chunks (`add`), so the whole store never has to
 * sit in memory. Every question appears only when the data supports it, and its wording carries the
 * numbers found, so the list changes whenever the data does.
 */
export class QuestionFinder {
  private readonly monthStart: string;
  private readonly monthEnd: string;
  private readonly today: string;
  private readonly soon: string;
  private readonly monthByChannel = new Map<Channel, { totals: Totals; n: number }>();
  private readonly byChannel = new Map<Channel, Totals>();
  private readonly overspending = new Top<{ id: string; pacing: number }>(MAX_IDS);
  private readonly noConversions = new Top<{ id: string; spend: number }>(MAX_IDS);
  private readonly endingUnderspent = new Top<{ id: string; left: number }>(MAX_IDS);
  private readonly paused: { id: string; channel: Channel; roas: number }[] = [];
  // CTR needs the channel benchmark first; keep the few numbers needed per campaign.
  private readonly ctrs: { id: string; channel: Channel; ctr: number }[] = [];

  constructor(private readonly asOf: Date = new Date()) {
    const y = asOf.getUTCFullYear();
    const m = asOf.getUTCMonth();
    this.monthStart = isoDay(new Date(Date.UTC(y, m, 1)));
    this.monthEnd = isoDay(new Date(Date.UTC(y, m + 1, 0)));
    this.today = isoDay(asOf);
    this.soon = isoDay(new Date(asOf.getTime() + 14 * 86_400_000));
  }

  add(campaigns: Iterable<Campaign>): this {
    for (const c of campaigns) this.addOne(c);
    return this;
  }

  private addOne(c: Campaign): void {
    this.byChannel.set(c.channel, addTotals(this.byChannel.get(c.channel) ?? emptyTotals(), c));
    if (c.start_date <= this.monthEnd && c.end_date >= this.monthStart && c.spend > 0) {
      const cur = this.monthByChannel.get(c.channel) ?? { totals: emptyTotals(), n: 0 };
      this.monthByChannel.set(c.channel, { totals: addTotals(cur.totals, c), n: cur.n + 1 });
    }
    const k = campaignKpis(c, this.asOf);
    if (c.status === 'active' && isOverspending(k.budget_pacing)) {
      this.overspending.add(k.budget_pacing, { id: c.id, pacing: k.budget_pacing });
    }
    if (c.spend > 0 && c.clicks > 0 && c.conversions === 0) this.noConversions.add(c.spend, { id: c.id, spend: c.spend });
    if (c.status === 'active' && c.end_date >= this.today && c.end_date <= this.soon && c.budget > 0 && c.spend < 0.7 * c.budget) {
      this.endingUnderspent.add(c.budget - c.spend, { id: c.id, left: c.budget - c.spend });
    }
    if (c.status === 'paused' && k.roas !== null) this.paused.push({ id: c.id, channel: c.channel, roas: k.roas });
    if (c.impressions >= MIN_IMPRESSIONS && k.ctr !== null) this.ctrs.push({ id: c.id, channel: c.channel, ctr: k.ctr });
  }

  questions(): SuggestedQuestion[] {
    const out: SuggestedQuestion[] = [];
    const monthRoas = [...this.monthByChannel]
      .map(([channel, { totals, n }]) => ({ channel, n, roas: computeKpis(totals).roas }))
      .filter((r): r is { channel: Channel; n: number; roas: number } => r.roas !== null)
      .sort((a, b) => b.roas - a.roas);
    if (monthRoas.length >= 2) {
      const best = monthRoas[0]!;
      const worst = monthRoas[monthRoas.length - 1]!;
      out.push({
        id: 'best_roas_channel_this_month',
        question: `Which channel has the best ROAS this month (${this.monthStart.slice(0, 7)})?`,
        finding: `${best.channel} leads with ROAS ${fixed(best.roas)} over ${best.n} campaigns; ${worst.channel} trails at ${fixed(worst.roas)}.`,
        campaign_ids: [],
        ...endpoint({ from: this.monthStart, to: this.monthEnd, sort: '-revenue', limit: '100' }),
      });
    }
    if (this.overspending.count > 0) {
      const top = this.overspending.values;
      out.push({
        id: 'overspending_pacing',
        question: `Which active campaigns are overspending their budget pacing?`,
        finding: `${this.overspending.count} active campaign(s) spend faster than their flight allows; ${top[0]!.id} is at ${fixed(top[0]!.pacing)}× pace.`,
        campaign_ids: top.map((t) => t.id),
        ...endpoint({ status: 'active', sort: '-spend' }),
      });
    }
    const below = this.ctrBelowBenchmark();
    if (below.count > 0) {
      const worst = below.values[0]!;
      out.push({
        id: 'ctr_below_channel_benchmark',
        question: `Where did CTR fall below the channel benchmark?`,
        finding: `${below.count} campaign(s) have a CTR under half their channel's; ${worst.id} (${worst.channel}) has ${pct(worst.ctr)} against ${pct(worst.benchmark)}.`,
        campaign_ids: below.values.map((v) => v.id),
        ...endpoint({ channel: worst.channel, sort: '-spend' }),
      });
    }
    if (this.noConversions.count > 0) {
      const top = this.noConversions.values;
      out.push({
        id: 'spend_without_conversions',
        question: `Which campaigns spend without converting?`,
        finding: `${this.noConversions.count} campaign(s) have clicks and spend but no conversion; ${top[0]!.id} spent ${fixed(top[0]!.spend)}.`,
        campaign_ids: top.map((t) => t.id),
        ...endpoint({ sort: '-spend' }),
      });
    }
    if (this.endingUnderspent.count > 0) {
      const top = this.endingUnderspent.values;
      out.push({
        id: 'ending_soon_underspent',
        question: `Which campaigns end within 14 days with more than 30% of their budget unspent?`,
        finding: `${this.endingUnderspent.count} campaign(s) end by ${this.soon} with budget left; ${top[0]!.id} has ${fixed(top[0]!.left)} unspent.`,
        campaign_ids: top.map((t) => t.id),
        ...endpoint({ status: 'active', from: this.today, to: this.soon, sort: 'end_date' }),
      });
    }
    const restart = this.pausedAboveChannel();
    if (restart.length > 0) {
      out.push({
        id: 'paused_high_roas',
        question: `Which paused campaigns beat their channel's ROAS and deserve a restart?`,
        finding: `${restart.length} paused campaign(s) return more than their channel; ${restart[0]!.id} has ROAS ${fixed(restart[0]!.roas)}.`,
        campaign_ids: restart.slice(0, MAX_IDS).map((r) => r.id),
        ...endpoint({ status: 'paused', sort: '-revenue' }),
      });
    }
    return out;
  }

  private ctrBelowBenchmark() {
    const top = new Top<{ id: string; channel: Channel; ctr: number; benchmark: number }>(MAX_IDS);
    for (const c of this.ctrs) {
      const benchmark = computeKpis(this.byChannel.get(c.channel)!).ctr;
      if (benchmark !== null && benchmark > 0 && c.ctr < CTR_BENCHMARK_SHARE * benchmark) {
        top.add(1 - c.ctr / benchmark, { ...c, benchmark });
      }
    }
    return top;
  }

  private pausedAboveChannel() {
    return this.paused
      .filter((p) => {
        const channelRoas = computeKpis(this.byChannel.get(p.channel)!).roas;
        return channelRoas !== null && p.roas > channelRoas;
      })
      .sort((a, b) => b.roas - a.roas);
  }
}

/** Convenience for callers holding the campaigns already. */
export function suggestQuestions(campaigns: Iterable<Campaign>, asOf: Date = new Date()): SuggestedQuestion[] {
  return new QuestionFinder(asOf).add(campaigns).questions();
}
