import { Redis } from 'ioredis';
import { LeasedRateLimitStore } from '../../services/src/lib/leased-rate-limit-store';
import { REDIS_URL, deleteByPrefix, testPrefix } from '../helpers/redis';
import { sleep } from '../helpers/wait';

const redis = new Redis(REDIS_URL);
let prefix: string;
beforeEach(() => {
  prefix = `${testPrefix('lease')}:rl:`;
});
afterEach(() => deleteByPrefix(redis, prefix.slice(0, -4)));
afterAll(() => redis.quit());

const store = (limit: number, windowMs = 60_000, maxLeaseShare?: number) => new LeasedRateLimitStore(redis, { prefix, limit, windowMs, maxLeaseShare });
const counter = async () => Number(await redis.get(`${prefix}client`));

test('a busy client is counted in doubling leases: hits are numbered in order, Redis sees one call per lease', async () => {
  const s = store(100_000); // leases up to 1,000
  const hits: number[] = [];
  for (let i = 0; i < 300; i++) hits.push((await s.increment('client')).totalHits);
  expect(hits).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  // leases 1, 2, 4 … 256 taken: 9 round trips, 511 tokens counted, 211 of them still to spend locally
  expect(await counter()).toBe(511);
});

test('a small limit is counted hit by hit: leases never exceed 1 % of the limit', async () => {
  const s = store(50);
  for (let i = 1; i <= 7; i++) expect((await s.increment('client')).totalHits).toBe(i);
  expect(await counter()).toBe(7);
});

test('concurrent requests share one lease in flight and never get the same hit number', async () => {
  const s = store(100_000);
  const results = await Promise.all(Array.from({ length: 50 }, () => s.increment('client')));
  expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  expect(await counter()).toBeLessThanOrEqual(63);
});

test('replicas sharing a client never let more than the limit through, and refuse at most their unused leases early', async () => {
  const replicas = [store(200, 60_000, 0.05), store(200, 60_000, 0.05), store(200, 60_000, 0.05)]; // leases up to 10
  let allowed = 0;
  let allowedAfterRefusal = 0;
  let refused = false;
  for (let i = 0; i < 300; i++) {
    const { totalHits } = await replicas[i % 3]!.increment('client');
    if (totalHits <= 200) {
      allowed++;
      if (refused) allowedAfterRefusal++;
    } else refused = true;
  }
  expect(allowed).toBeLessThanOrEqual(200);
  expect(allowed).toBeGreaterThanOrEqual(200 - 3 * 10);
  // after the first refusal only what the other two replicas had leased is still spent
  expect(allowedAfterRefusal).toBeLessThanOrEqual(2 * 10);
});

test('a refused client costs no Redis call until its window resets, then starts over', async () => {
  const s = store(3, 400);
  const totals: number[] = [];
  for (let i = 0; i < 6; i++) totals.push((await s.increment('client')).totalHits);
  expect(totals.slice(0, 3)).toEqual([1, 2, 3]);
  expect(totals.slice(3).every((t) => t > 3)).toBe(true);
  expect(await counter()).toBe(4); // the first refused hit asked Redis; the next two were refused locally
  await sleep(500);
  expect((await s.increment('client')).totalHits).toBe(1);
});

test('decrement gives a leased hit back locally; resetKey clears the client everywhere', async () => {
  const s = store(100_000);
  for (let i = 0; i < 3; i++) await s.increment('client'); // leases 1 and 2
  await s.decrement('client');
  expect((await s.increment('client')).totalHits).toBe(3);
  await s.resetKey('client');
  expect(await redis.exists(`${prefix}client`)).toBe(0);
  expect((await s.increment('client')).totalHits).toBe(1);
});
