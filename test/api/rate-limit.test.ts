import { Redis } from 'ioredis';
import request from 'supertest';
import { auth, cleanup, makeApp, ready, testPrefix, type TestApp } from './helpers';

let prefix: string;
let apps: TestApp[] = [];

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const a = makeApp(prefix, { RATE_LIMIT_PER_MINUTE: '5', ...env });
  apps.push(a);
  await ready(a.redis);
  return a;
}

beforeEach(() => {
  prefix = testPrefix('rl');
  apps = [];
});
afterEach(() => cleanup(prefix, ...apps));

const get = (a: TestApp, path = '/api/v1/campaigns', headers: Record<string, string> = auth) => request(a.app).get(path).set(headers);

test('exactly RATE_LIMIT_PER_MINUTE requests pass, then 429 problem+json with Retry-After', async () => {
  const a = await app();
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await get(a);
    statuses.push(res.status);
    expect(res.headers['ratelimit']).toMatch(new RegExp(`^"5-per-60s"; r=${4 - i}; t=([1-5]?[0-9]|60)$`));
    expect(res.headers['ratelimit-policy']).toMatch(/^"5-per-60s"; q=5; w=60; pk=:[^:]+:$/);
  }
  expect(statuses).toEqual([200, 200, 200, 200, 200]);
  for (let i = 0; i < 3; i++) {
    const res = await get(a);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 429, title: 'Too Many Requests', request_id: res.headers['x-request-id'] });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers['ratelimit']).toMatch(/r=0;/);
  }
  const metrics = await request(a.app).get('/metrics');
  expect(metrics.text).toMatch(/^http_rate_limited_total 3$/m);
});

test('bad credentials are counted too (limit runs before authentication)', async () => {
  const a = await app();
  for (let i = 0; i < 5; i++) expect((await get(a, '/api/v1/campaigns', { 'X-API-Key': 'wrong' })).status).toBe(401);
  expect((await get(a, '/api/v1/campaigns', { 'X-API-Key': 'wrong' })).status).toBe(429);
  expect((await get(a)).status).toBe(429);
});

test('health, ready and metrics are exempt', async () => {
  const a = await app({ RATE_LIMIT_PER_MINUTE: '1' });
  expect((await get(a)).status).toBe(200);
  expect((await get(a)).status).toBe(429);
  for (let i = 0; i < 3; i++) {
    for (const path of ['/health', '/ready', '/metrics']) {
      const res = await request(a.app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit']).toBeUndefined();
    }
  }
});

test('with TRUST_PROXY_HOPS=1 each forwarded client has its own budget; a second IP is unaffected', async () => {
  const a = await app({ TRUST_PROXY_HOPS: '1' });
  const from = (ip: string) => get(a).set('X-Forwarded-For', ip);
  for (let i = 0; i < 5; i++) expect((await from('203.0.113.7')).status).toBe(200);
  expect((await from('203.0.113.7')).status).toBe(429);
  expect((await from('198.51.100.9')).status).toBe(200);
  // Only the last hop is trusted: what the client put before it is ignored.
  expect((await from('198.51.100.9, 203.0.113.7')).status).toBe(429);
});

test('with TRUST_PROXY_HOPS=0 a spoofed X-Forwarded-For does not change the key', async () => {
  const a = await app({ TRUST_PROXY_HOPS: '0' });
  for (let i = 0; i < 5; i++) expect((await get(a).set('X-Forwarded-For', `203.0.113.${i}`)).status).toBe(200);
  expect((await get(a).set('X-Forwarded-For', '198.51.100.200')).status).toBe(429);
  expect((await get(a)).status).toBe(429);
});

test('two app instances on one Redis share one budget', async () => {
  const a = await app({ TRUST_PROXY_HOPS: '1' });
  const b = await app({ TRUST_PROXY_HOPS: '1' });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await get(i % 2 ? b : a).set('X-Forwarded-For', '192.0.2.44')).status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(5);
  expect(statuses.slice(5)).toEqual([429, 429, 429]);
});

test('Redis unreachable: fail open serves un-counted, fail closed answers 503; neither hangs', async () => {
  // Request-role options as createRedis sets them, plus a short disconnectTimeout: ioredis otherwise
  // keeps a 2 s timer after disconnecting a socket that never connected.
  const down = () =>
    new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 200, disconnectTimeout: 10 }).on(
      'error',
      () => undefined,
    );
  const limits = { RATE_LIMIT_PER_MINUTE: '2' };
  const open = makeApp(prefix, { ...limits, RATE_LIMIT_FAIL_OPEN: 'true' }, { redis: down() });
  const closed = makeApp(prefix, { ...limits, RATE_LIMIT_FAIL_OPEN: 'false' }, { redis: down() });
  apps.push(open, closed);
  const started = Date.now();
  // The OpenAPI document is public but rate limited, and needs no Redis: it isolates the limiter.
  for (let i = 0; i < 4; i++) {
    const res = await request(open.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit']).toBeUndefined();
  }
  const refused = await request(closed.app).get('/api/openapi.json');
  expect(refused.status).toBe(503);
  expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(refused.body).toMatchObject({ type: 'urn:pca-agent:problem:redis_unavailable', request_id: refused.headers['x-request-id'] });
  // Routes that need Redis answer 503 fast, never 500.
  expect((await get(open, '/api/v1/campaigns/abc')).status).toBe(503);
  expect((await request(closed.app).get('/health')).status).toBe(200);
  expect(Date.now() - started).toBeLessThan(3000);
});
