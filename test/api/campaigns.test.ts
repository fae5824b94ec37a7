import request from 'supertest';
import { auth, campaignBody, cleanup, makeApp, ready, testPrefix, type TestApp } from './helpers';

// Mid-flight for a March campaign: half of 2026-03-01..2026-03-31 (31 days) has elapsed.
const NOW = new Date('2026-03-16T12:00:00Z');
let prefix: string;
let a: TestApp;
let clock = NOW;

beforeEach(async () => {
  prefix = testPrefix('cmp');
  clock = NOW;
  a = makeApp(prefix, {}, { now: () => clock });
  await ready(a.redis);
});
afterEach(() => cleanup(prefix, a));

const api = () => request(a.app);
const post = (body: object) => api().post('/api/v1/campaigns').set(auth).send(body);

test('create 201 + Location, get with KPIs, patch, delete 204, then 404', async () => {
  const created = await post(campaignBody());
  expect(created.status).toBe(201);
  expect(created.headers['location']).toBe(`/api/v1/campaigns/${created.body.id}`);
  const got = await api().get(created.headers['location']!).set(auth);
  expect(got.status).toBe(200);
  expect(got.body).toEqual(created.body);
  expect(got.body).toMatchObject({ ...campaignBody(), created_at: expect.any(String), updated_at: expect.any(String) });
  // spend 250, impressions 10 000, clicks 200, conversions 10, revenue 1000, budget 1000, half the flight gone.
  expect(got.body.kpis).toEqual({ ctr: 0.02, cpc: 1.25, cpm: 25, cpa: 25, conversion_rate: 0.05, roas: 4, budget_pacing: 0.5 });

  const patched = await api().patch(created.headers['location']!).set(auth).send({ spend: 750, revenue: 1500 });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ spend: 750, revenue: 1500, name: 'Spring Search' });
  expect(patched.body.kpis).toMatchObject({ cpc: 3.75, roas: 2, budget_pacing: 1.5 });
  expect((await api().get(created.headers['location']!).set(auth)).body.spend).toBe(750);

  expect((await api().delete(created.headers['location']!).set(auth)).status).toBe(204);
  expect((await api().get(created.headers['location']!).set(auth)).status).toBe(404);
  expect((await api().delete(created.headers['location']!).set(auth)).status).toBe(404);
  expect((await api().patch(created.headers['location']!).set(auth).send({ spend: 1 })).status).toBe(404);
});

test('KPIs with zero clicks and zero spend are null where the denominator is zero, never Infinity or NaN', async () => {
  const noClicks = await post(campaignBody({ id: 'no-clicks', clicks: 0, conversions: 0 }));
  expect(noClicks.body.kpis).toEqual({ ctr: 0, cpc: null, cpm: 25, cpa: null, conversion_rate: null, roas: 4, budget_pacing: 0.5 });
  const noSpend = await post(campaignBody({ id: 'no-spend', spend: 0, revenue: 0, impressions: 0, clicks: 0, conversions: 0 }));
  expect(noSpend.body.kpis).toEqual({ ctr: null, cpc: null, cpm: null, cpa: null, conversion_rate: null, roas: null, budget_pacing: 0 });
  clock = new Date('2026-02-01T00:00:00Z'); // before the flight: no pacing yet
  const early = await api().get('/api/v1/campaigns/no-spend').set(auth);
  expect(early.body.kpis.budget_pacing).toBeNull();
});

test('explicit id conflicts give 409 and leave the first campaign untouched', async () => {
  expect((await post(campaignBody({ id: 'dup', name: 'first' }))).status).toBe(201);
  const again = await post(campaignBody({ id: 'dup', name: 'second' }));
  expect(again.status).toBe(409);
  expect(again.body.errors).toEqual([{ field: 'id', location: 'body', message: 'already exists' }]);
  expect((await api().get('/api/v1/campaigns/dup').set(auth)).body.name).toBe('first');
});

test('list filters by channel, status and date range', async () => {
  await post(campaignBody({ id: 'a', channel: 'search', status: 'active', start_date: '2026-01-01', end_date: '2026-01-31' }));
  await post(campaignBody({ id: 'b', channel: 'social', status: 'paused', start_date: '2026-02-01', end_date: '2026-02-28' }));
  await post(campaignBody({ id: 'c', channel: 'social', status: 'active', start_date: '2026-03-01', end_date: '2026-03-31' }));
  const ids = async (q: string) => (await api().get(`/api/v1/campaigns?${q}`).set(auth)).body.items.map((c: { id: string }) => c.id);
  expect(await ids('')).toEqual(['c', 'b', 'a']);
  expect(await ids('sort=start_date')).toEqual(['a', 'b', 'c']);
  expect(await ids('channel=social')).toEqual(['c', 'b']);
  expect(await ids('status=active')).toEqual(['c', 'a']);
  expect(await ids('from=2026-02-15&to=2026-03-05')).toEqual(['c', 'b']);
  expect(await ids('to=2026-01-15')).toEqual(['a']);
  expect(await ids('channel=social&status=active')).toEqual(['c']);
  expect(await ids('channel=email')).toEqual([]);
});

test('pagination through the API neither skips nor repeats, over ties, both orders, with a filter', async () => {
  const n = 45;
  for (let i = 0; i < n; i++) {
    // Only four budget values: most of the order comes from the tie-break.
    await post(campaignBody({ id: `p${String(i).padStart(2, '0')}`, budget: 1000 + (i % 4) * 100, channel: i % 3 ? 'search' : 'email' }));
  }
  for (const sort of ['budget', '-budget', 'name']) {
    for (const filter of ['', '&channel=email']) {
      const seen: { id: string; budget: number }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: request.Response = await api()
          .get(`/api/v1/campaigns?limit=7&sort=${sort}${filter}${cursor ? `&cursor=${cursor}` : ''}`)
          .set(auth);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(7);
        seen.push(...res.body.items);
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 20);
      const expected = filter ? 15 : n;
      expect(seen).toHaveLength(expected);
      expect(new Set(seen.map((c) => c.id)).size).toBe(expected);
      if (sort !== 'name') {
        const budgets = seen.map((c) => c.budget);
        expect(budgets).toEqual([...budgets].sort((x, y) => (sort === 'budget' ? x - y : y - x)));
      }
    }
  }
  // A cursor from one sort is refused for another rather than silently skipping.
  const first = await api().get('/api/v1/campaigns?limit=5&sort=budget').set(auth);
  const mixed = await api().get(`/api/v1/campaigns?limit=5&sort=spend&cursor=${first.body.next_cursor}`).set(auth);
  expect(mixed.status).toBe(400);
});

test('suggested questions are computed from the stored data and change when it changes', async () => {
  const questions = async () => {
    const res = await api().get('/api/v1/campaigns/suggested-questions').set(auth);
    expect(res.status).toBe(200);
    return res.body as { campaigns_considered: number; questions: { id: string; question: string; finding: string; campaign_ids: string[]; href: string }[] };
  };
  expect((await questions()).questions).toEqual([]);

  // Two channels this month: search returns 4×, social 2×.
  await post(campaignBody({ id: 'search-1', channel: 'search', spend: 250, revenue: 1000 }));
  await post(campaignBody({ id: 'social-1', channel: 'social', spend: 250, revenue: 500 }));
  let q = await questions();
  expect(q.campaigns_considered).toBe(2);
  const roas = q.questions.find((x) => x.id === 'best_roas_channel_this_month')!;
  expect(roas.finding).toMatch(/^search leads with ROAS 4\.00/);
  expect(roas.href).toBe('/api/v1/campaigns?from=2026-03-01&to=2026-03-31&sort=-revenue&limit=100');
  expect(q.questions.find((x) => x.id === 'overspending_pacing')).toBeUndefined();

  // The suggested request really answers it.
  const answer = await api().get(roas.href).set(auth);
  expect(answer.status).toBe(200);
  expect(answer.body.items.map((c: { id: string }) => c.id)).toEqual(['search-1', 'social-1']);

  // Social overtakes search, and social-1 now overspends (pacing 1.8 at mid-flight).
  await api().patch('/api/v1/campaigns/social-1').set(auth).send({ spend: 900, revenue: 9000 });
  q = await questions();
  expect(q.questions.find((x) => x.id === 'best_roas_channel_this_month')!.finding).toMatch(/^social leads with ROAS 10\.00/);
  const over = q.questions.find((x) => x.id === 'overspending_pacing')!;
  expect(over.campaign_ids).toEqual(['social-1']);
  expect(over.finding).toContain('1.80× pace');

  // Back on pace: the question goes away.
  await api().patch('/api/v1/campaigns/social-1').set(auth).send({ spend: 400 });
  q = await questions();
  expect(q.questions.find((x) => x.id === 'overspending_pacing')).toBeUndefined();

  // Spend without conversions appears only once such a campaign exists.
  expect(q.questions.find((x) => x.id === 'spend_without_conversions')).toBeUndefined();
  await post(campaignBody({ id: 'leaky', channel: 'display', conversions: 0, revenue: 0 }));
  q = await questions();
  expect(q.questions.find((x) => x.id === 'spend_without_conversions')!.campaign_ids).toEqual(['leaky']);
});
