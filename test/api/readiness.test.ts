import request from 'supertest';
import { RedisServer, waitFor } from '../helpers/processes';
import { auth, makeApp, ready, testPrefix, type TestApp } from './helpers';

let redis: RedisServer;
let a: TestApp;
const prefix = testPrefix('ready');

beforeAll(async () => {
  redis = await RedisServer.start({ aof: false });
  a = makeApp(prefix, { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300' });
  await ready(a.redis);
});
afterAll(async () => {
  await a.close();
  a.redis.disconnect();
  await redis.close();
});

test('Redis down: /health stays 200, /ready 503 with the reason, API 503 fast; all recover without a restart', async () => {
  let sent = 0;
  const get = (path: string, headers: Record<string, string> = {}) => {
    sent++;
    return request(a.app).get(path).set(headers);
  };
  expect((await get('/ready')).status).toBe(200);
  expect((await get('/api/v1/campaigns', auth)).headers['ratelimit']).toMatch(/r=99;/);

  await redis.stop();
  await waitFor('/ready 503', async () => (await get('/ready')).status === 503);
  const notReady = await get('/ready');
  expect(notReady.body).toEqual({ status: 'not_ready', reasons: ['redis_unreachable'] });
  expect((await get('/health')).status).toBe(200);
  const started = Date.now();
  const api = await get('/api/v1/campaigns', auth);
  expect(api.status).toBe(503);
  expect(api.body.type).toBe('urn:pca-agent:problem:redis_unavailable');
  expect(Date.now() - started).toBeLessThan(1000);
  await a.stats.flush(); // fails while Redis is down; the counts must survive it

  // Same port, fresh (empty) server: the client reconnects by itself.
  await redis.start();
  await waitFor('/ready 200 again', async () => (await get('/ready')).status === 200, 15_000, 100);
  expect((await get('/health')).status).toBe(200);
  const after = await get('/api/v1/campaigns', auth);
  expect(after.status).toBe(200);
  // The rate limiter recovered too: its script is loaded again on the new server and counting restarts.
  expect(after.headers['ratelimit']).toMatch(/r=99;/);
  const stats = await get('/gateway/stats', auth);
  expect(stats.status).toBe(200);
  // Everything before this request, including what was recorded during the outage, reached Redis.
  expect(stats.body.requests.total).toBe(sent - 1);
});
