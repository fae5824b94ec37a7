import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { campaignInputSchema, CHANNELS, STATUSES } from '../../services/src/domain/campaign';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { campaignKpis } from '../../services/src/domain/kpi';
import { generateSampleCampaigns, seedCampaigns, seedIfEmpty } from '../../services/src/domain/seed';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const AS_OF = new Date('2026-11-15T10:00:00Z');
const redis = new Redis(REDIS_URL);
let prefix: string;

beforeEach(() => {
  prefix = testPrefix('seed');
});
afterEach(() => deleteByPrefix(redis, prefix));
afterAll(() => redis.quit());

test('deterministic for a seed and day; another seed gives another dataset', () => {
  const a = generateSampleCampaigns({ seed: 7, asOf: AS_OF });
  expect(generateSampleCampaigns({ seed: 7, asOf: AS_OF })).toEqual(a);
  expect(generateSampleCampaigns({ seed: 8, asOf: AS_OF })).not.toEqual(a);
  expect(a).toHaveLength(300);
  expect(generateSampleCampaigns({ seed: 7, count: 12, asOf: AS_OF })).toEqual(a.slice(0, 12));
});

test('realistic: valid rows, every channel and status, flights over the last 12 months, statuses follow dates', () => {
  const rows = generateSampleCampaigns({ seed: 42, asOf: AS_OF });
  for (const r of rows) expect(campaignInputSchema.safeParse(r).success).toBe(true);
  expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  expect(new Set(rows.map((r) => r.channel))).toEqual(new Set(CHANNELS));
  expect(new Set(rows.map((r) => r.status))).toEqual(new Set(STATUSES));
  const months = new Set(rows.map((r) => r.start_date.slice(0, 7)));
  expect(months.size).toBeGreaterThanOrEqual(12);
  const today = '2026-11-15';
  for (const r of rows) {
    expect(r.start_date >= '2025-11-01').toBe(true);
    if (r.status === 'completed') expect(r.end_date < today).toBe(true);
    if (r.status === 'draft') expect(r.spend).toBe(0);
    expect(r.clicks).toBeLessThanOrEqual(r.impressions);
    expect(r.conversions).toBeLessThanOrEqual(r.clicks);
  }
  // Some rows exercise the zero-denominator KPIs; some overspend their pacing.
  expect(rows.some((r) => r.spend > 0 && r.clicks === 0)).toBe(true);
  expect(rows.some((r) => r.spend === 0)).toBe(true);
  const active = rows.filter((r) => r.status === 'active');
  expect(active.some((r) => (campaignKpis(r as never, AS_OF).budget_pacing ?? 0) > 1.1)).toBe(true);
  // Channel behaviour differs the way real channels do: search clicks far better than display.
  const ctr = (ch: string) => {
    const xs = rows.filter((r) => r.channel === ch);
    return xs.reduce((s, r) => s + r.clicks, 0) / xs.reduce((s, r) => s + r.impressions, 0);
  };
  expect(ctr('search')).toBeGreaterThan(3 * ctr('display'));
});

test('seedCampaigns is idempotent; seedIfEmpty only fills an empty store', async () => {
  const store = new CampaignStore(redis, prefix);
  expect(await seedIfEmpty(store, { seed: 1, count: 40, asOf: AS_OF })).toBe(40);
  expect(await store.count()).toBe(40);
  expect(await seedIfEmpty(store, { seed: 2, count: 40, asOf: AS_OF })).toBe(0);
  expect(await seedCampaigns(store, { seed: 1, count: 40, asOf: AS_OF })).toBe(40);
  expect(await store.count()).toBe(40);
  const page = await store.list({ limit: 100 });
  expect(page.items.map((c) => c.id).sort()).toEqual(generateSampleCampaigns({ seed: 1, count: 40, asOf: AS_OF }).map((c) => c.id).sort());
});

test('`main.js seed` loads the dataset under REDIS_KEY_PREFIX', () => {
  const main = join(__dirname, '../../dist/services/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  const env = { PATH: process.env.PATH, REDIS_URL, REDIS_KEY_PREFIX: prefix };
  const run = spawnSync(process.execPath, [main, 'seed', '--seed', '5', '--count', '25'], { env, encoding: 'utf8', timeout: 20_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(`seeded 25 campaigns (seed 5) under prefix "${prefix}"`);
  const again = spawnSync(process.execPath, [main, 'seed', '--if-empty'], { env, encoding: 'utf8', timeout: 20_000 });
  expect(again.status).toBe(0);
  expect(again.stdout).toContain('nothing seeded');
  const bad = spawnSync(process.execPath, [main, 'seed', '--count', 'many'], { env, encoding: 'utf8', timeout: 20_000 });
  expect(bad.status).toBe(2);
});
