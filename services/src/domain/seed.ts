import { CHANNELS, type CampaignInput, type CampaignStatus, type Channel } from './campaign';
import type { CampaignStore } from './campaign-store';

export interface SeedOptions {
  /** Same seed and `asOf` day give the same dataset. @default 42 */
  readonly seed?: number;
  /** @default 300 */
  readonly count?: number;
  /** Flights are spread over the 12 months before this day. @default today */
  readonly asOf?: Date;
}

/** mulberry32: tiny, fast, deterministic; plenty for sample data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per-channel behaviour: typical CPM, CTR, conversion rate and order value, and its share of campaigns. */
const PROFILES: Record<Channel, { weight: number; cpm: number; ctr: number; cvr: number; aov: number; budget: [number, number] }> = {
  search: { weight: 30, cpm: 28, ctr: 0.045, cvr: 0.05, aov: 90, budget: [2_000, 40_000] },
  social: { weight: 25, cpm: 9, ctr: 0.012, cvr: 0.025, aov: 70, budget: [1_500, 30_000] },
  display: { weight: 15, cpm: 3.5, ctr: 0.0035, cvr: 0.012, aov: 65, budget: [1_000, 20_000] },
  video: { weight: 12, cpm: 14, ctr: 0.006, cvr: 0.015, aov: 80, budget: [3_000, 50_000] },
  email: { weight: 10, cpm: 1.2, ctr: 0.03, cvr: 0.04, aov: 60, budget: [300, 5_000] },
  affiliate: { weight: 8, cpm: 6, ctr: 0.015, cvr: 0.06, aov: 75, budget: [500, 10_000] },
};

const THEMES = ['Spring Sale', 'Summer Launch', 'Back to School', 'Black Friday', 'Holiday Gifts', 'New Year', 'Brand Awareness', 'Retargeting', 'Loyalty', 'Clearance', 'Product Launch', 'Prospecting'];
const MARKETS = ['US', 'UK', 'DE', 'FR', 'CA', 'AU'];
const DAY = 86_400_000;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const roundMoney = (v: number) => Math.round(v * 100) / 100;

/**
 * A realistic sample dataset: `count` campaigns across every channel with flights over the last 12
 * months, statuses that follow their dates, and metrics drawn around each channel's typical rates
 * (including some zero-click and zero-spend campaigns). Deterministic for a given seed and day.
 */
export function generateSampleCampaigns(opts: SeedOptions = {}): (CampaignInput & { id: string })[] {
  const seed = opts.seed ?? 42;
  const count = opts.count ?? 300;
  const asOf = opts.asOf ?? new Date();
  const today = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
  const rand = prng(seed);
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const totalWeight = CHANNELS.reduce((s, c) => s + PROFILES[c].weight, 0);
  const pickChannel = (): Channel => {
    let r = rand() * totalWeight;
    for (const c of CHANNELS) if ((r -= PROFILES[c].weight) < 0) return c;
    return CHANNELS[0];
  };

  return Array.from({ length: count }, (_, i) => {
    const channel = pickChannel();
    const p = PROFILES[channel];
    const start = today - Math.floor(between(-20, 365)) * DAY;
    const end = start + Math.floor(between(14, 90)) * DAY;
    const budget = roundMoney(between(p.budget[0], p.budget[1]));
    const elapsed = Math.min(1, Math.max(0, (today - start) / (end + DAY - start)));
    let status: CampaignStatus = elapsed === 0 ? 'draft' : elapsed >= 1 ? 'completed' : rand() < 0.12 ? 'paused' : 'active';
    if (status === 'draft' && rand() < 0.3) status = 'active';
    // Pacing varies around 1 so some campaigns overspend and some lag.
    const pace = between(0.55, 1.45);
    const spend = status === 'draft' ? 0 : roundMoney(Math.min(budget * 1.15, budget * elapsed * pace));
    // Each campaign's own performance varies around its channel's (some do much worse than the benchmark).
    const quality = rand() < 0.08 ? between(0.1, 0.4) : between(0.6, 1.5);
    const impressions = Math.round((spend / (p.cpm * between(0.7, 1.3))) * 1000);
    const zeroClicks = channel === 'display' && rand() < 0.1;
    const clicks = zeroClicks ? 0 : Math.round(impressions * p.ctr * quality);
    const conversions = Math.round(clicks * p.cvr * between(0.3, 1.7));
    const revenue = roundMoney(conversions * p.aov * between(0.7, 1.4));
    return {
      id: `seed-${seed}-${String(i + 1).padStart(4, '0')}`,
      name: `${pick(THEMES)} ${pick(MARKETS)} - ${channel[0]!.toUpperCase()}${channel.slice(1)} - ${new Date(start).toISOString().slice(0, 7)}`,
      channel,
      status,
      start_date: isoDay(start),
      end_date: isoDay(end),
      budget,
      spend,
      impressions,
      clicks,
      conversions,
      revenue,
      currency: 'USD',
    };
  });
}

/** Loads the sample dataset (upsert by id, so running it twice changes nothing). Returns how many. */
export async function seedCampaigns(store: CampaignStore, opts: SeedOptions = {}): Promise<number> {
  const campaigns = generateSampleCampaigns(opts);
  for (let i = 0; i < campaigns.length; i += 200) await store.upsertMany(campaigns.slice(i, i + 200));
  return campaigns.length;
}

/** Seeds only when the store holds no campaign (what `npm start` does). Returns how many were loaded. */
export async function seedIfEmpty(store: CampaignStore, opts: SeedOptions = {}): Promise<number> {
  if ((await store.count()) > 0) return 0;
  return seedCampaigns(store, opts);
}
