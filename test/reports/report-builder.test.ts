import { buildReport } from '../../services/src/reports/report-builder';
import { DATASET } from '../helpers/campaign-fixtures';
import type { BenchmarkSet } from '../../services/src/reports/report-types';

const NOW = new Date('2026-06-15T00:00:00Z');

const BENCHMARKS: BenchmarkSet = {
  refreshed_at: '2026-06-14T00:00:00.000Z',
  window_days: 90,
  window_start: '2026-03-16',
  window_end: '2026-06-14',
  campaigns: 10,
  channels: {
    search: {
      campaigns: 5,
      metrics: { roas: { p25: 1, median: 2, p75: 3, n: 5 }, cpa: { p25: 10, median: 20, p75: 30, n: 5 } },
    },
  },
};

describe('buildReport on a hand-computed dataset', () => {
  let report: Awaited<ReturnType<typeof buildReport>>;
  beforeAll(async () => {
    // two chunks, as the store hands them over
    report = await buildReport([DATASET.slice(0, 2), DATASET.slice(2)], { now: NOW, benchmarks: BENCHMARKS, filters: {}, source: 'inline' });
  });

  test('totals and overall KPIs', () => {
    expect(report.totals).toMatchObject({
      campaigns: 4, budget: 4500, spend: 2650, impressions: 180_000, clicks: 1750, conversions: 95, revenue: 5450,
    });
    const k = report.totals.kpis;
    expect(k.ctr).toBeCloseTo(1750 / 180_000, 6);
    expect(k.cpc).toBeCloseTo(2650 / 1750, 4);
    expect(k.cpm).toBeCloseTo((2650 / 180_000) * 1000, 4);
    expect(k.cpa).toBeCloseTo(2650 / 95, 4);
    expect(k.conversion_rate).toBeCloseTo(95 / 1750, 6);
    expect(k.roas).toBeCloseTo(5450 / 2650, 4);
    // expected spend on 15 June: 14/30 of A, B and D's budgets plus all of C's (finished)
    const expected = (1000 + 1000 + 500) * (14 / 30) + 2000;
    expect(k.budget_pacing).toBeCloseTo(2650 / expected, 4);
  });

  test('per campaign and per channel', () => {
    const b = report.campaigns.find((c) => c.id === 'B')!;
    expect(b.kpis.cpa).toBe(180);
    expect(b.kpis.ctr).toBe(0.01);
    expect(b.kpis.budget_pacing).toBeCloseTo(900 / (1000 * (14 / 30)), 4);
    expect(report.campaigns.find((c) => c.id === 'D')!.kpis.cpa).toBeNull();
    expect(report.channels.map((c) => c.channel)).toEqual(['search', 'social', 'display']); // by spend
    const search = report.channels[0]!;
    expect(search).toMatchObject({ campaigns: 2, spend: 1400, revenue: 2450, clicks: 700, conversions: 55 });
    expect(search.kpis.roas).toBe(1.75);
    expect(search.kpis.cpc).toBe(2);
    expect(search.kpis.cpa).toBeCloseTo(1400 / 55, 4);
  });

  test('benchmark comparison says above/below and by how much', () => {
    const roas = report.benchmarks.comparisons.find((c) => c.channel === 'search' && c.metric === 'roas')!;
    expect(roas).toMatchObject({ value: 1.75, median: 2, position: 'below', difference_pct: -12.5, assessment: 'in_line' });
    const cpa = report.benchmarks.comparisons.find((c) => c.channel === 'search' && c.metric === 'cpa')!;
    expect(cpa.position).toBe('above');
    expect(cpa.difference_pct).toBeCloseTo(((1400 / 55 - 20) / 20) * 100, 1);
    expect(report.benchmarks.comparisons).toHaveLength(2); // no benchmarks for social/display or other metrics
  });

  test('insights are ranked by severity, then share of spend', () => {
    expect(report.insights.map((i) => [i.rank, i.type, i.campaign_id, i.severity])).toEqual([
      [1, 'cpa_outlier', 'B', 'high'], // 180 vs the search benchmark median 20
      [2, 'overspend', 'B', 'high'], // pacing 193%
      [3, 'worst_performer', 'D', 'high'], // ROAS 0
      [4, 'ctr_outlier', 'B', 'medium'], // CTR 1% vs search average 2.33%
      [5, 'best_performer', 'A', 'medium'], // ROAS 4
      [6, 'ctr_outlier', 'A', 'low'], // CTR 5%, 2.1× the search average
    ]);
    expect(report.insights[0]!.score).toBeCloseTo(300 + (900 / 2650) * 100, 2);
    expect(report.insights[1]!.detail).toContain('193%');
  });

  test('follow-up questions come from the findings', () => {
    expect(report.follow_up_questions[0]).toContain('from display (ROAS 0.00) to social (ROAS 3.00)');
    expect(report.follow_up_questions.some((q) => q.includes('"Campaign B"') && q.includes('overspending'))).toBe(true);
    expect(report.follow_up_questions.length).toBeLessThanOrEqual(5);
  });

  test('an empty input gives zero totals and null ratios, not NaN', async () => {
    const empty = await buildReport([], { now: NOW, benchmarks: null, filters: {}, source: 'stored' });
    expect(empty.totals.campaigns).toBe(0);
    expect(empty.totals.kpis.roas).toBeNull();
    expect(empty.insights).toEqual([]);
  });
});
