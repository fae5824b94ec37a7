import type { Campaign } from '../../services/src/domain/campaign';
import { generateSampleCampaigns } from '../../services/src/domain/seed';
import { QuestionFinder, suggestQuestions } from '../../services/src/domain/suggested-questions';

const AS_OF = new Date('2026-03-16T12:00:00Z');
let n = 0;
const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  id: `c${++n}`,
  name: 'x',
  channel: 'search',
  status: 'active',
  start_date: '2026-03-01',
  end_date: '2026-03-31',
  budget: 1000,
  spend: 500,
  impressions: 10_000,
  clicks: 200,
  conversions: 10,
  revenue: 1500,
  currency: 'USD',
  created_at: '2026-03-01T00:00:00Z',
  updated_at: '2026-03-01T00:00:00Z',
  ...over,
});
const ids = (qs: ReturnType<typeof suggestQuestions>) => qs.map((q) => q.id);
const find = (qs: ReturnType<typeof suggestQuestions>, id: string) => qs.find((q) => q.id === id);

test('no data, no questions; one on-pace campaign raises nothing', () => {
  expect(suggestQuestions([], AS_OF)).toEqual([]);
  expect(suggestQuestions([campaign()], AS_OF)).toEqual([]);
});

test('best ROAS channel this month needs two channels with spend this month, and names the leader', () => {
  const data = [campaign({ channel: 'search', revenue: 1000 }), campaign({ channel: 'email', revenue: 3000 })];
  const q = find(suggestQuestions(data, AS_OF), 'best_roas_channel_this_month')!;
  expect(q.question).toContain('2026-03');
  expect(q.finding).toBe('email leads with ROAS 6.00 over 1 campaigns; search trails at 2.00.');
  expect(q.endpoint).toEqual({ method: 'GET', path: '/api/v1/campaigns', query: { from: '2026-03-01', to: '2026-03-31', sort: '-revenue', limit: '100' } });
  // Last month's campaigns do not count for this month.
  const old = [campaign({ channel: 'search' }), campaign({ channel: 'email', start_date: '2026-01-01', end_date: '2026-01-31' })];
  expect(find(suggestQuestions(old, AS_OF), 'best_roas_channel_this_month')).toBeUndefined();
});

test('overspending lists the worst pacing first and links active campaigns', () => {
  const data = [campaign({ id: 'ok' }), campaign({ id: 'hot', spend: 900 }), campaign({ id: 'hotter', spend: 1000 }), campaign({ id: 'paused', status: 'paused', spend: 1000 })];
  const q = find(suggestQuestions(data, AS_OF), 'overspending_pacing')!;
  expect(q.campaign_ids).toEqual(['hotter', 'hot']);
  expect(q.finding).toContain('2 active campaign(s)');
  expect(q.href).toBe('/api/v1/campaigns?status=active&sort=-spend');
});

test('CTR below half the channel benchmark, spend without conversions, ending soon underspent, paused with high ROAS', () => {
  const data = [
    ...Array.from({ length: 5 }, () => campaign({ channel: 'social', impressions: 10_000, clicks: 200 })),
    campaign({ id: 'weak', channel: 'social', impressions: 10_000, clicks: 20 }),
    campaign({ id: 'leaky', channel: 'display', clicks: 50, conversions: 0, revenue: 0 }),
    campaign({ id: 'ending', start_date: '2026-02-01', end_date: '2026-03-20', spend: 100 }),
    ...Array.from({ length: 3 }, () => campaign({ channel: 'search' })),
    campaign({ id: 'sleeper', status: 'paused', revenue: 5000 }),
  ];
  const qs = suggestQuestions(data, AS_OF);
  expect(ids(qs)).toEqual(
    expect.arrayContaining(['ctr_below_channel_benchmark', 'spend_without_conversions', 'ending_soon_underspent', 'paused_high_roas']),
  );
  expect(find(qs, 'ctr_below_channel_benchmark')!.campaign_ids).toEqual(['weak']);
  expect(find(qs, 'ctr_below_channel_benchmark')!.endpoint.query).toMatchObject({ channel: 'social' });
  expect(find(qs, 'spend_without_conversions')!.campaign_ids).toEqual(['leaky']);
  expect(find(qs, 'ending_soon_underspent')!.campaign_ids).toEqual(['ending']);
  expect(find(qs, 'ending_soon_underspent')!.endpoint.query).toEqual({ status: 'active', from: '2026-03-16', to: '2026-03-30', sort: 'end_date' });
  expect(find(qs, 'paused_high_roas')!.campaign_ids).toEqual(['sleeper']);
});

test('feeding chunks gives the same answer as feeding everything at once', () => {
  const rows = generateSampleCampaigns({ seed: 3, asOf: AS_OF }).map((r) => campaign(r));
  const whole = suggestQuestions(rows, AS_OF);
  const finder = new QuestionFinder(AS_OF);
  for (let i = 0; i < rows.length; i += 37) finder.add(rows.slice(i, i + 37));
  expect(finder.questions()).toEqual(whole);
  // A realistic dataset raises several kinds of question, each with at most five campaigns.
  expect(whole.length).toBeGreaterThanOrEqual(4);
  for (const q of whole) expect(q.campaign_ids.length).toBeLessThanOrEqual(5);
});
