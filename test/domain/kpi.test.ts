import fc from 'fast-check';
import { addTotals, campaignKpis, computeKpis, elapsedShare, emptyTotals, isOverspending, OVERSPEND_PACING, ratio, roundKpis, type Totals } from '../../services/src/domain/kpi';

const totals = (over: Partial<Totals> = {}): Totals => ({
  budget: 1000,
  spend: 250,
  impressions: 10_000,
  clicks: 200,
  conversions: 10,
  revenue: 1000,
  ...over,
});

test('each KPI is its documented ratio', () => {
  expect(computeKpis(totals(), 0.5)).toEqual({
    ctr: 0.02,
    cpc: 1.25,
    cpm: 25,
    cpa: 25,
    conversion_rate: 0.05,
    roas: 4,
    budget_pacing: 0.5,
  });
});

test('zero clicks: no CPC and no conversion rate, CTR is a real 0', () => {
  expect(computeKpis(totals({ clicks: 0, conversions: 0 }), 0.5)).toMatchObject({ ctr: 0, cpc: null, conversion_rate: null, cpa: null });
});

test('zero spend: no ROAS, CPC and CPM are a real 0, pacing 0 once the flight started', () => {
  expect(computeKpis(totals({ spend: 0, revenue: 0 }), 0.5)).toMatchObject({ roas: null, cpc: 0, cpm: 0, cpa: 0, budget_pacing: 0 });
});

test('zero impressions and zero budget have no CTR/CPM and no pacing', () => {
  expect(computeKpis(totals({ impressions: 0 }), 0.5)).toMatchObject({ ctr: null, cpm: null });
  expect(computeKpis(totals({ budget: 0 }), 0.5).budget_pacing).toBeNull();
  expect(computeKpis(totals(), 0).budget_pacing).toBeNull(); // flight not started
  expect(computeKpis(totals()).budget_pacing).toBeNull(); // no dates given
});

test('flight share: inclusive days, clamped to [0, 1]', () => {
  const at = (iso: string) => elapsedShare('2026-03-01', '2026-03-31', new Date(iso));
  expect(at('2026-02-28T23:59:59Z')).toBe(0);
  expect(at('2026-03-01T00:00:00Z')).toBe(0);
  expect(at('2026-03-16T12:00:00Z')).toBe(0.5);
  expect(at('2026-03-31T12:00:00Z')).toBeCloseTo(30.5 / 31);
  expect(at('2026-04-01T00:00:00Z')).toBe(1);
  expect(elapsedShare('2026-03-01', '2026-03-01', new Date('2026-03-01T06:00:00Z'))).toBe(0.25);
});

test('campaignKpis paces against the flight on the given day', () => {
  const c = { ...totals(), start_date: '2026-03-01', end_date: '2026-03-31' };
  expect(campaignKpis(c, new Date('2026-03-16T12:00:00Z')).budget_pacing).toBe(0.5);
  expect(campaignKpis(c, new Date('2026-05-01T00:00:00Z')).budget_pacing).toBe(0.25);
});

test('no KPI is ever NaN or infinite, whatever the (non-negative) inputs', () => {
  const n = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e9, noNaN: true }));
  fc.assert(
    fc.property(n, n, n, n, n, n, fc.double({ min: 0, max: 1, noNaN: true }), (budget, spend, impressions, clicks, conversions, revenue, share) => {
      const k = computeKpis({ budget, spend, impressions, clicks, conversions, revenue }, share);
      for (const v of Object.values(k)) expect(v === null || Number.isFinite(v)).toBe(true);
    }),
  );
});

test('ratio, totals and rounding helpers', () => {
  expect(ratio(1, 0)).toBeNull();
  expect(ratio(0, 0)).toBeNull();
  expect(ratio(Infinity, 2)).toBeNull();
  expect(ratio(1, 4)).toBe(0.25);
  expect(addTotals(emptyTotals(), totals())).toEqual(totals());
  expect(addTotals(totals(), totals()).spend).toBe(500);
  expect(roundKpis({ ctr: 1 / 3, cpc: 2 / 3, cpm: null, cpa: 1.23456, conversion_rate: 0, roas: 10 / 3, budget_pacing: 1.00005 })).toEqual({
    ctr: 0.333333,
    cpc: 0.6667,
    cpm: null,
    cpa: 1.2346,
    conversion_rate: 0,
    roas: 3.3333,
    budget_pacing: 1.0001,
  });
});

test('one overspend rule: at 1.1× pace and above, for the suggested questions and the report insights alike', () => {
  expect(OVERSPEND_PACING).toBe(1.1);
  expect(isOverspending(1.1)).toBe(true);
  expect(isOverspending(1.0999)).toBe(false);
  expect(isOverspending(null)).toBe(false);
});
