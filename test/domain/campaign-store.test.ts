import { Redis } from 'ioredis';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import type { CampaignInput } from '../../services/src/domain/campaign';
import { testPrefix, deleteByPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
let prefix: string;
let store: CampaignStore;

const input = (n: number, over: Partial<CampaignInput> = {}): CampaignInput & { id: string } => ({
  id: `c${String(n).padStart(3, '0')}`,
  name: `Campaign ${n}`,
  channel: n % 2 ? 'search' : 'social',
  status: 'active',
  start_date: `2026-0${1 + (n % 9)}-01`,
  end_date: '2026-12-31',
  budget: 1000 + (n % 7) * 10, // many ties, so pagination must break them by id
  spend: 100,
  impressions: 1000,
  clicks: 10,
  conversions: 1,
  revenue: 300,
  currency: 'USD',
  ...over,
});

beforeEach(() => {
  prefix = testPrefix('store');
  store = new CampaignStore(redis, prefix);
});
afterEach(() => deleteByPrefix(redis, prefix));
afterAll(() => redis.quit());

test('pagination over ties neither skips nor repeats, in both orders and with a filter', async () => {
  await store.upsertMany(Array.from({ length: 57 }, (_, i) => input(i)));
  for (const order of ['asc', 'desc'] as const) {
    for (const channel of [undefined, 'search'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ sort: 'budget', order, limit: 7, cursor, channel });
        seen.push(...page.items.map((c) => c.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(channel ? 28 : 57);
      const budgets = (await store.getMany(seen)).map((c) => c.budget);
      const sorted = [...budgets].sort((a, b) => (order === 'asc' ? a - b : b - a));
      expect(budgets).toEqual(sorted);
    }
  }
});

test('update moves the campaign in the index; delete removes it everywhere', async () => {
  await store.upsertMany([input(1), input(2)]);
  await store.update('c001', { budget: 1 });
  const asc = await store.list({ sort: 'budget', order: 'asc', limit: 10 });
  expect(asc.items.map((c) => c.id)).toEqual(['c001', 'c002']);
  expect(await store.delete('c001')).toBe(true);
  expect(await store.delete('c001')).toBe(false);
  expect((await store.list({ sort: 'budget', limit: 10 })).items.map((c) => c.id)).toEqual(['c002']);
  expect(await store.count()).toBe(1);
});

test('concurrent patches are not lost', async () => {
  await store.upsertMany([input(1)]);
  await Promise.all([store.update('c001', { spend: 5 }), store.update('c001', { clicks: 7 })]);
  const c = await store.get('c001');
  expect(c).toMatchObject({ spend: 5, clicks: 7 });
});

test('an unfiltered page is one Redis command; an index member whose document is gone is skipped', async () => {
  await store.upsertMany(Array.from({ length: 25 }, (_, i) => input(i)));
  const all = (await store.list({ sort: 'name', order: 'asc', limit: 100 })).items.map((c) => c.id);
  expect(all).toHaveLength(25);
  // Counted at the connection: the real commands sent, not a stand-in.
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (cmd: Parameters<typeof send>[0]) => {
    sent.push(cmd.name);
    return send(cmd);
  };
  try {
    const page = await store.list({ sort: 'name', order: 'asc', limit: 10 });
    expect(page.items.map((c) => c.id)).toEqual(all.slice(0, 10));
    expect(sent).toHaveLength(1);
    // exactly the last page: no cursor
    const last = await store.list({ sort: 'name', order: 'asc', limit: 5, cursor: (await store.list({ sort: 'name', order: 'asc', limit: 20 })).next_cursor! });
    expect(last.items.map((c) => c.id)).toEqual(all.slice(20));
    expect(last.next_cursor).toBeNull();
  } finally {
    redis.sendCommand = send;
  }
  // A document deleted behind the index's back (a write in flight) leaves a hole the page steps over.
  await redis.del(`${prefix}:campaign:${all[3]!}`);
  const page = await store.list({ sort: 'name', order: 'asc', limit: 10 });
  expect(page.items.map((c) => c.id)).toEqual([...all.slice(0, 3), ...all.slice(4, 11)]);
  const rest = await store.list({ sort: 'name', order: 'asc', limit: 100, cursor: page.next_cursor! });
  expect(rest.items.map((c) => c.id)).toEqual(all.slice(11));
  const iterated = [];
  for await (const chunk of store.iterate({}, 4)) iterated.push(...chunk.map((c) => c.id));
  expect(iterated.sort()).toEqual(all.filter((id) => id !== all[3]).sort());
});

describe('staged batches (bulk imports)', () => {
  const commit = (inputs: (CampaignInput & { id: string })[], at: string) => {
    const staging = new CampaignStore(redis, prefix, () => new Date(at));
    const forms = staging.stagedForms(inputs);
    return staging.commitStaged(inputs.map((c, i) => [c.id, forms[i]!] as const));
  };
  const ids = async (sort: 'budget' | 'name' | 'created_at', order: 'asc' | 'desc' = 'asc') =>
    (await store.list({ sort, order, limit: 100 })).items.map((c) => c.id);

  test('new rows are stored and indexed exactly as one-by-one creates store them', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => input(i, { name: `Ünïcode ${40 - i} \u0001"q"` }));
    expect(await commit(rows, '2026-05-01T10:00:00.000Z')).toBe(40);
    const viaUpsert = new CampaignStore(redis, `${prefix}-ref`, () => new Date('2026-05-01T10:00:00.000Z'));
    for (const r of rows) await viaUpsert.create(r);
    try {
      expect(await store.count()).toBe(40);
      for (const sort of ['budget', 'name', 'created_at'] as const) {
        expect(await ids(sort)).toEqual((await viaUpsert.list({ sort, order: 'asc', limit: 100 })).items.map((c) => c.id));
      }
      expect(await store.get('c007')).toEqual(await viaUpsert.get('c007'));
    } finally {
      await deleteByPrefix(redis, `${prefix}-ref`);
    }
  });

  test('an existing campaign keeps its created_at and moves in the indexes that changed; a replay changes nothing', async () => {
    const created = await store.create(input(1, { budget: 5 }));
    await store.create(input(2, { budget: 50 }));
    const batch = [input(1, { budget: 500, name: 'Renamed' }), input(3, { budget: 1 })];
    await commit(batch, '2026-06-01T00:00:00.000Z');
    await commit(batch, '2026-06-02T00:00:00.000Z');
    expect(await store.count()).toBe(3);
    const c1 = await store.get('c001');
    expect(c1).toMatchObject({ budget: 500, name: 'Renamed', created_at: created.created_at, updated_at: '2026-06-02T00:00:00.000Z' });
    expect(await ids('budget')).toEqual(['c003', 'c002', 'c001']);
    expect(await ids('name')).toEqual(['c002', 'c003', 'c001']);
    // the old members are gone: every index holds each campaign once
    for (const f of ['budget', 'name', 'created_at', 'start_date']) {
      expect(await redis.zcard(`${prefix}:campaigns:idx:${f}`)).toBe(3);
    }
    // the store's own writes still see the batch's version (optimistic concurrency keeps working)
    expect(await store.update('c001', { spend: 7 })).toMatchObject({ spend: 7, budget: 500 });
    await store.delete('c003');
    expect(await store.count()).toBe(2);
  });

  test('a row staged as a JSON array (by the release before) commits as the same row staged now', async () => {
    const at = '2026-05-01T10:00:00.000Z';
    const rows = [input(1, { name: '12:3,4 \u0000ü"' }), input(2)];
    const current = new CampaignStore(redis, `${prefix}-now`, () => new Date(at));
    try {
      await current.commitStaged(rows.map((r, i) => [r.id, current.stagedForms(rows)[i]!] as const));
      // the earlier release's form: created_at, the record's JSON before and after it, the entry, the other members
      const legacy = await Promise.all(
        rows.map(async (r) => {
          const record = (await redis.get(`${prefix}-now:campaign:${r.id}`))!;
          const entry = (await redis.hget(`${prefix}-now:campaign-index-members`, r.id))!;
          const members = (JSON.parse(entry) as { m: string[] }).m;
          const cut = record.indexOf(at);
          return JSON.stringify([at, record.slice(0, cut), record.slice(cut + at.length), entry, ...members.slice(0, -1)]);
        }),
      );
      const staging = new CampaignStore(redis, prefix, () => new Date('2026-06-01T00:00:00.000Z'));
      expect(await staging.commitStaged(rows.map((r, i) => [r.id, legacy[i]!] as const))).toBe(2);
      expect(await store.get('c001')).toEqual(await current.get('c001'));
      expect(await store.get('c001')).toMatchObject({ name: '12:3,4 \u0000ü"', created_at: at, updated_at: at });
      for (const sort of ['name', 'budget', 'created_at'] as const) {
        expect(await ids(sort)).toEqual((await current.list({ sort, order: 'asc', limit: 100 })).items.map((c) => c.id));
      }
    } finally {
      await deleteByPrefix(redis, `${prefix}-now`);
    }
  });

  test('an id twice in one batch is stored once, as its last row', async () => {
    await store.upsertMany([input(1, { budget: 10 }), input(2), input(1, { budget: 20 })]);
    expect(await store.count()).toBe(2);
    expect(await store.get('c001')).toMatchObject({ budget: 20 });
    expect(await redis.zcard(`${prefix}:campaigns:idx:budget`)).toBe(2);
  });
});

describe('a tracked store version (the API process)', () => {
  // Its own client, so its GETs are its own; `store` on the shared client plays another replica.
  let own: Redis;
  let tracked: CampaignStore;
  const ids = async (s: CampaignStore) =>
    (JSON.parse((await s.listJson({ sort: 'name', order: 'asc' }, new Date())).items.toString()) as { id: string }[]).map((c) => c.id);

  beforeEach(async () => {
    own = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    tracked = new CampaignStore(own, prefix, undefined, { trackVersion: true });
    await store.upsertMany([input(1), input(2)]);
    // the watch is up once a held page stops costing a GET
    await waitFor('the version watch', async () => {
      await ids(tracked);
      const spy = jest.spyOn(own, 'get');
      await ids(tracked);
      const held = spy.mock.calls.length === 0;
      spy.mockRestore();
      return held;
    });
  });
  afterEach(async () => {
    await tracked.close();
    own.disconnect();
  });

  test('a held page costs no round trip; a write by another replica shows once Redis announces it', async () => {
    const spy = jest.spyOn(own, 'get');
    expect(await ids(tracked)).toEqual(['c001', 'c002']);
    expect(spy).not.toHaveBeenCalled();
    await store.create(input(3));
    expect(await waitFor('the other replica\'s write', async () => (await ids(tracked)).includes('c003'))).toBe(true);
    expect(await ids(tracked)).toEqual(['c001', 'c002', 'c003']);
  });

  test('its own writes show in its very next list: create, update, delete and a bulk commit', async () => {
    await tracked.create(input(4));
    expect(await ids(tracked)).toEqual(['c001', 'c002', 'c004']);
    await tracked.update('c004', { name: 'Campaign 0' });
    expect(await ids(tracked)).toEqual(['c004', 'c001', 'c002']);
    await tracked.delete('c001');
    expect(await ids(tracked)).toEqual(['c004', 'c002']);
    await tracked.upsertMany([input(5)]);
    expect(await ids(tracked)).toEqual(['c004', 'c002', 'c005']);
  });
});
