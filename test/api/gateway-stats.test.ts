import { Redis } from 'ioredis';
import pino from 'pino';
import { GatewayStats, histogramQuantile, LATENCY_BUCKETS_MS } from '../../services/src/api/gateway-stats/gateway-stats';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const redis = new Redis(REDIS_URL);
const logger = pino({ level: 'silent' });
let prefix: string;
let clock: number;
let stats: GatewayStats[] = [];

const make = (windowMinutes = 5) => {
  const s = new GatewayStats({ redis, prefix, version: '9.9.9', logger, windowMinutes, flushIntervalMs: 60_000, now: () => clock });
  stats.push(s);
  return s;
};

beforeEach(() => {
  prefix = testPrefix('gwstats');
  clock = Date.parse('2026-11-28T12:00:30Z');
  stats = [];
});
afterEach(async () => {
  for (const s of stats) await s.close();
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

const req = (durationMs: number, over: Partial<Parameters<GatewayStats['record']>[0]> = {}) => ({
  method: 'GET',
  route: '/api/v1/campaigns',
  status: 200,
  durationMs,
  ...over,
});

test('mean and p95 come from the histogram buckets of the last minutes only', async () => {
  const s = make(5);
  clock -= 10 * 60_000; // ten minutes ago: counted in totals, outside the latency window
  s.record(req(9000));
  clock += 10 * 60_000;
  for (let i = 0; i < 90; i++) s.record(req(3));
  for (let i = 0; i < 10; i++) s.record(req(400, { status: 503 }));
  const snap = await s.read();
  expect(snap.requests).toEqual({ total: 101, by_status_class: { '2xx': 91, '5xx': 10 }, by_route: { 'GET /api/v1/campaigns': 101 } });
  expect(snap.latency).toEqual({ window_minutes: 5, count: 100, mean_ms: 42.7, p95_ms: 375 });
  expect(snap.instance).toMatchObject({ version: '9.9.9', uptime_seconds: 0 });
});

test('nothing reaches Redis until a flush; one flush per interval carries everything', async () => {
  const s = make();
  for (let i = 0; i < 1000; i++) s.record(req(1, { method: 'BREW', route: 'unmatched', rateLimited: i % 10 === 0, authFailure: i % 4 === 0 }));
  expect(await redis.exists(`${prefix}:stats:gateway:totals`)).toBe(0);
  await s.flush();
  expect(await redis.hgetall(`${prefix}:stats:gateway:totals`)).toEqual({
    total: '1000',
    'class:2xx': '1000',
    'route:OTHER unmatched': '1000', // unknown methods cannot grow the key space
    rate_limited: '100',
    auth_failures: '250',
  });
  const minuteKey = `${prefix}:stats:gateway:m:${Math.floor(clock / 60_000)}`;
  expect(await redis.ttl(minuteKey)).toBeGreaterThan(0);
});

test('an empty window reports null latency, not zero', async () => {
  const snap = await make().read();
  expect(snap.latency).toEqual({ window_minutes: 5, count: 0, mean_ms: null, p95_ms: null });
  expect(snap.requests.total).toBe(0);
});

test('histogramQuantile interpolates inside the bucket and reports the open bucket by its lower bound', () => {
  const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  buckets[0] = 100; // all within (0, 1] ms
  expect(histogramQuantile(buckets, 0.5)).toBe(0.5);
  buckets[0] = 0;
  buckets[LATENCY_BUCKETS_MS.length] = 4; // all slower than the last bound
  expect(histogramQuantile(buckets, 0.95)).toBe(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]);
});
