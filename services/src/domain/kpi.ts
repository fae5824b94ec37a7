import type { Campaign } from './campaign';

/** The raw sums every KPI is derived from; campaigns and aggregates share it. */
export interface Totals {
  readonly budget: number;
  readonly spend: number;
  readonly impressions: number;
  readonly clicks: number;
  readonly conversions: number;
  readonly revenue: number;
}

/**
 * Derived KPIs. A ratio whose denominator is zero is `null` (undefined, not zero): a campaign with no
 * clicks has no CPC, and averaging a made-up 0 into a benchmark would be wrong.
 */
export interface Kpis {
  /** clicks / impressions */
  readonly ctr: number | null;
  /** spend / clicks */
  readonly cpc: number | null;
  /** spend / impressions × 1000 */
  readonly cpm: number | null;
  /** spend / conversions */
  readonly cpa: number | null;
  /** conversions / clicks */
  readonly conversion_rate: number | null;
  /** revenue / spend */
  readonly roas: number | null;
  /** spend / (budget × elapsed share of the flight); 1 = on pace, > 1 overspending */
  readonly budget_pacing: number | null;
}

/** Spending this much faster than its flight allows (budget pacing) is overspending. */
export const OVERSPEND_PACING = 1.1;

/** The one overspend rule the suggested questions and the report insights share. */
export function isOverspending(pacing: number | null): pacing is number {
  return pacing !== null && pacing >= OVERSPEND_PACING;
}

export function ratio(numerator: number, denominator: number): number | null {
  if (denominator === 0 || !Number.isFinite(numerator) || !Number.isFinite(denominator)) return null;
  const value = numerator / denominator;
  // A denominator close enough to zero overflows to Infinity: just as undefined as zero itself.
  return Number.isFinite(value) ? value : null;
}

const DAY_MS = 86_400_000;

// Two Date.parse calls per campaign were a visible share of a list page, which repeats few dates.
const dayStarts = new Map<string, number>();
function dayStart(date: string): number {
  let ms = dayStarts.get(date);
  if (ms === undefined) {
    if (dayStarts.size >= 10_000) dayStarts.clear();
    ms = Date.parse(`${date}T00:00:00Z`);
    dayStarts.set(date, ms);
  }
  return ms;
}

/** Share of the flight elapsed on `asOf` (inclusive days), clamped to [0, 1]. */
export function elapsedShare(startDate: string, endDate: string, asOf: Date): number {
  const start = dayStart(startDate);
  const end = dayStart(endDate) + DAY_MS;
  const now = asOf.getTime();
  if (now <= start) return 0;
  if (now >= end) return 1;
  return (now - start) / (end - start);
}

export function computeKpis(t: Totals, pacingShare?: number): Kpis {
  const expectedSpend = pacingShare === undefined ? 0 : t.budget * pacingShare;
  return {
    ctr: ratio(t.clicks, t.impressions),
    cpc: ratio(t.spend, t.clicks),
    cpm: ratio(t.spend * 1000, t.impressions),
    cpa: ratio(t.spend, t.conversions),
    conversion_rate: ratio(t.conversions, t.clicks),
    roas: ratio(t.revenue, t.spend),
    budget_pacing: pacingShare === undefined ? null : ratio(t.spend, expectedSpend),
  };
}

export function campaignKpis(c: Campaign | (Totals & { start_date: string; end_date: string }), asOf = new Date()): Kpis {
  return computeKpis(c, elapsedShare(c.start_date, c.end_date, asOf));
}

export function emptyTotals(): Totals {
  return { budget: 0, spend: 0, impressions: 0, clicks: 0, conversions: 0, revenue: 0 };
}

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    budget: a.budget + b.budget,
    spend: a.spend + b.spend,
    impressions: a.impressions + b.impressions,
    clicks: a.clicks + b.clicks,
    conversions: a.conversions + b.conversions,
    revenue: a.revenue + b.revenue,
  };
}

/** Decimal places of each KPI in public JSON: money to 4, rates to 6. */
export const KPI_PLACES: Readonly<Record<keyof Kpis, number>> = { ctr: 6, cpc: 4, cpm: 4, cpa: 4, conversion_rate: 6, roas: 4, budget_pacing: 4 };

export const roundKpi = (v: number | null, places: number): number | null => (v === null ? null : Number(v.toFixed(places)));

/** Rounds each KPI to its public places; null stays null. */
export function roundKpis(k: Kpis): Kpis {
  const r = roundKpi;
  return {
    ctr: r(k.ctr, KPI_PLACES.ctr),
    cpc: r(k.cpc, KPI_PLACES.cpc),
    cpm: r(k.cpm, KPI_PLACES.cpm),
    cpa: r(k.cpa, KPI_PLACES.cpa),
    conversion_rate: r(k.conversion_rate, KPI_PLACES.conversion_rate),
    roas: r(k.roas, KPI_PLACES.roas),
    budget_pacing: r(k.budget_pacing, KPI_PLACES.budget_pacing),
  };
}

/** Budget pacing alone (the one KPI that moves with the clock), as `computeKpis` gives it. */
export function budgetPacing(budget: number, spend: number, startDate: string, endDate: string, asOf: Date): number | null {
  return ratio(spend, budget * elapsedShare(startDate, endDate, asOf));
}
