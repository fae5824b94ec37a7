import { Redis } from 'ioredis';
import { CampaignStore, type ListOptions } from '../../services/src/domain/campaign-store';
import type { Campaign, CampaignInput } from '../../services/src/domain/campaign';
import { campaignJson, encodeCampaignRecord } from '../../services/src/domain/campaign-record';
import { campaignKpis, roundKpis } from '../../services/src/domain/kpi';
import { testPrefix, deleteByPrefix } from '../helpers/redis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
let prefix: string;
let store: CampaignStore;
beforeEach(() => {
  prefix = testPrefix('record');
  store = new CampaignStore(redis, prefix, () => new Date('2026-03-01T10:00:00Z'));
});
afterEach(() => deleteByPrefix(redis, prefix));
afterAll(() => redis.quit());

// Zero denominators (null KPIs), flights before/around/after the clock, JSON-hostile names, odd numbers.
const inputs: (CampaignInput & { id: string })[] = [
  { id: 'a', name: 'Plain', channel: 'search', status: 'active', start_date: '2026-01-01', end_date: '2026-06-30', budget: 1000, spend: 123.45, impressions: 10_000, clicks: 321, conversions: 7, revenue: 999.99, currency: 'USD' },
  { id: 'b', name: 'Quote " and \\ and \u0001 and "kpis":{ and ünïcødé 🚀', channel: 'social', status: 'paused', start_date: '2026-03-01', end_date: '2026-03-01', budget: 0, spend: 0, impressions: 0, clicks: 0, conversions: 0, revenue: 0, currency: 'EUR' },
  { id: 'c', name: 'Future', channel: 'video', status: 'draft', start_date: '2027-01-01', end_date: '2027-02-01', budget: 1e12, spend: 0.1, impressions: 3, clicks: 1, conversions: 0, revenue: 1 / 3, currency: 'GBP' },
  { id: 'd', name: 'Past', channel: 'email', status: 'completed', start_date: '2025-01-01', end_date: '2025-12-31', budget: 50.5, spend: 77.777, impressions: 1e15, clicks: 999_999, conversions: 5, revenue: 0, currency: 'USD' },
];

const item = (c: Campaign, asOf: Date) => ({ ...c, kpis: roundKpis(campaignKpis(c, asOf)) });

test('a record holds the campaign JSON exactly, and nothing a reader of created_at could mistake', () => {
  for (const i of inputs) {
    const c: Campaign = { ...i, created_at: '2026-02-01T00:00:00.000Z', updated_at: '2026-02-02T00:00:00.000Z' };
    const rec = encodeCampaignRecord(c);
    expect(campaignJson(rec)).toBe(JSON.stringify(c));
    expect(rec.split('"created_at":"')).toHaveLength(2);
  }
});

test('listJson sends exactly what list + KPIs as of the same instant would, filtered, sorted and paged', async () => {
  await store.upsertMany(inputs);
  for (const asOf of [new Date('2026-03-01T10:00:00Z'), new Date('2026-03-01T23:59:59.999Z'), new Date('2026-01-01T00:00:00Z')]) {
    for (const opts of [{}, { sort: 'name', order: 'asc', limit: 2 }, { status: 'paused' }, { from: '2026-02-01', to: '2026-04-01', sort: 'budget' }] as ListOptions[]) {
      let cursor: string | undefined;
      do {
        const [objects, json] = await Promise.all([store.list({ ...opts, cursor }), store.listJson({ ...opts, cursor }, asOf)]);
        expect(JSON.parse(json.items.toString('utf8'))).toEqual(objects.items.map((c) => item(c, asOf)));
        expect(json.count).toBe(objects.items.length);
        expect(json.next_cursor).toBe(objects.next_cursor);
        // the endpoint's whole document, byte for byte what res.json of its three fields sends
        expect(json.body.toString('utf8')).toBe(JSON.stringify({ items: JSON.parse(json.items.toString('utf8')), next_cursor: objects.next_cursor, limit: opts.limit ?? 20 }));
        cursor = json.next_cursor ?? undefined;
      } while (cursor);
    }
  }
});

test('campaigns stored before pre-serialized records are read by every reader and rewritten on update', async () => {
  const old: Campaign = { ...inputs[0]!, id: 'old', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
  await store.upsertMany([{ ...inputs[0]!, id: 'old' }]);
  // what an earlier version wrote: the campaign's JSON alone
  await redis.set(`${prefix}:campaign:old`, JSON.stringify(old));
  const asOf = new Date('2026-03-01T10:00:00Z');
  expect(await store.get('old')).toEqual(old);
  expect(await store.getMany(['old'])).toEqual([old]);
  expect(JSON.parse((await store.listJson({}, asOf)).items.toString())).toEqual([item(old, asOf)]);
  const chunks: Campaign[][] = [];
  for await (const chunk of store.iterate()) chunks.push(chunk);
  expect(chunks).toEqual([[old]]);
  const updated = await store.update('old', { spend: 500 });
  expect(updated).toMatchObject({ id: 'old', spend: 500, created_at: old.created_at });
  expect(await redis.get(`${prefix}:campaign:old`)).toBe(encodeCampaignRecord(updated!));
});

describe('held list pages', () => {
  const page = async (s: CampaignStore, asOf = new Date('2026-03-01T10:00:00Z'), opts: ListOptions = {}) =>
    JSON.parse((await s.listJson(opts, asOf)).items.toString()) as (Campaign & { kpis: unknown })[];

  test('a page held by one replica shows every write another replica makes, at once', async () => {
    const reader = new CampaignStore(redis, prefix);
    const writer = new CampaignStore(redis, prefix);
    await writer.upsertMany(inputs);
    expect((await page(reader)).map((c) => c.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    await page(reader); // held now
    await writer.create({ ...inputs[0]!, id: 'e', name: 'New' });
    expect((await page(reader)).map((c) => c.id)).toContain('e');
    await writer.update('a', { name: 'Renamed' });
    expect((await page(reader)).find((c) => c.id === 'a')?.name).toBe('Renamed');
    await writer.delete('b');
    expect((await page(reader)).map((c) => c.id)).not.toContain('b');
    await writer.upsertMany([{ ...inputs[2]!, spend: 42 }]);
    expect((await page(reader)).find((c) => c.id === 'c')?.spend).toBe(42);
    const filtered = { status: 'completed' as const, sort: 'name' as const };
    expect((await page(reader, undefined, filtered)).map((c) => c.id)).toEqual(['d']);
    await writer.update('a', { status: 'completed' });
    expect((await page(reader, undefined, filtered)).map((c) => c.id)).toEqual(['a', 'd']); // name, descending: Renamed, Past
  });

  test('a held page answers like a fresh read, with budget pacing as of each call', async () => {
    const held = new CampaignStore(redis, prefix);
    await held.upsertMany(inputs);
    await page(held);
    for (const asOf of [new Date('2026-03-01T10:00:00Z'), new Date('2026-05-17T03:04:05Z')]) {
      expect(await page(held, asOf)).toEqual(await page(new CampaignStore(redis, prefix), asOf));
    }
  });

  test('sends the same bytes again only while every pacing it shows is unchanged', async () => {
    const held = new CampaignStore(redis, prefix);
    await held.upsertMany(inputs);
    const at = (iso: string) => new Date(iso);
    const bytes = async (asOf: Date) => (await held.listJson({}, asOf)).items.toString('utf8');
    // One second apart: 'a' (a six-month flight) shows the same pacing at four places; an hour later it does not.
    const t0 = at('2026-03-01T10:00:00Z');
    const t1 = at('2026-03-01T10:00:01Z');
    const t2 = at('2026-03-01T11:00:00Z');
    const pacingOfA = (asOf: Date) => item({ ...inputs[0]!, created_at: '', updated_at: '' }, asOf).kpis.budget_pacing;
    expect(pacingOfA(t1)).toBe(pacingOfA(t0));
    expect(pacingOfA(t2)).not.toBe(pacingOfA(t0));
    const first = await bytes(t0);
    expect(await bytes(t1)).toBe(first);
    const later = await bytes(t2);
    expect(later).not.toBe(first);
    expect(JSON.parse(later)).toEqual((await held.list({})).items.map((c) => item(c, t2)));
    // Back to the first instant (a clock that steps back): the pacing shown follows it again.
    expect(await bytes(t0)).toBe(first);
    // A write changes the page even when no pacing moved.
    await held.update('d', { name: 'Renamed' });
    const written = JSON.parse(await bytes(t0)) as Campaign[];
    expect(written.find((c) => c.id === 'd')?.name).toBe('Renamed');
  });

  test('is answered from what it holds while the store version stands, and re-read after at most 2 s', async () => {
    const held = new CampaignStore(redis, prefix);
    await held.upsertMany(inputs);
    await page(held);
    // a writer that does not replace the version (a replica of the previous release)
    const old = (await held.get('a'))!;
    await redis.set(`${prefix}:campaign:a`, JSON.stringify({ ...old, name: 'Written by an old replica' }));
    expect((await page(held)).find((c) => c.id === 'a')?.name).toBe('Plain');
    await new Promise((r) => setTimeout(r, 2100));
    expect((await page(held)).find((c) => c.id === 'a')?.name).toBe('Written by an old replica');
  });
});
