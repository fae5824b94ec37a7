import request from 'supertest';
import { z } from 'zod';
import { LATENCY_BUCKETS_MS } from '../../services/src/api/gateway-stats/gateway-stats';
import { campaignInputSchema } from '../../services/src/domain/campaign';
import type { CampaignStore } from '../../services/src/domain/campaign-store';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import type { Stores } from '../../services/src/storage/stores';
import { TEST_BLOB_DIR } from '../helpers/redis';
import { auth, campaignBody, cleanup, makeApp, ready, testPrefix, type TestApp } from './helpers';

let prefix: string;
let apps: TestApp[] = [];

/** Stores around a failing campaign store (these tests touch no artifact or upload). */
function storesWith(campaigns: CampaignStore): Stores {
  return { campaigns, artifacts: {} as never, uploads: {} as never, imports: {} as never, blobs: new FsBlobStore(TEST_BLOB_DIR), close: async () => undefined };
}

async function app(env: Record<string, string> = {}, deps: Parameters<typeof makeApp>[2] = {}): Promise<TestApp> {
  const a = makeApp(prefix, env, deps);
  apps.push(a);
  await ready(a.redis);
  return a;
}

beforeEach(() => {
  prefix = testPrefix('gw');
  apps = [];
});
afterEach(() => cleanup(prefix, ...apps));

test('every response carries X-Request-Id, X-Process-Time and X-Gateway-Version; a sane incoming id is kept', async () => {
  const a = await app();
  const { version } = require('../../package.json') as { version: string };
  for (const res of [
    await request(a.app).get('/health'),
    await request(a.app).get('/api/v1/campaigns'),
    await request(a.app).get('/api/v1/campaigns').set(auth),
    await request(a.app).get('/nowhere').set(auth),
  ]) {
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(res.headers['x-process-time'])).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-gateway-version']).toBe(version);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  }
  expect((await request(a.app).get('/health').set('X-Request-Id', 'trace-abc.123:xyz')).headers['x-request-id']).toBe('trace-abc.123:xyz');
  const replaced = await request(a.app).get('/health').set('X-Request-Id', 'bad id with spaces');
  expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  const logged = a.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
  expect(logged.map((l) => l.request_id)).toContain('trace-abc.123:xyz');
  expect(logged.find((l) => l.path === '/api/v1/campaigns' && l.status === 200)).toMatchObject({
    method: 'GET',
    route: '/api/v1/campaigns',
    duration_ms: expect.any(Number),
  });
});

test('CORS is off by default and answers preflights for configured origins only', async () => {
  const off = await app();
  expect((await request(off.app).get('/health').set('Origin', 'https://app.test')).headers['access-control-allow-origin']).toBeUndefined();
  const on = await app({ CORS_ORIGINS: 'https://app.test' });
  const pre = await request(on.app).options('/api/v1/campaigns').set('Origin', 'https://app.test').set('Access-Control-Request-Method', 'POST');
  expect(pre.status).toBe(204);
  expect(pre.headers['access-control-allow-origin']).toBe('https://app.test');
  const other = await request(on.app).get('/health').set('Origin', 'https://evil.test');
  expect(other.headers['access-control-allow-origin']).toBeUndefined();
});

test('an unexpected error is a logged 500 without the stack; a Redis outage is a 503', async () => {
  const failing = { get: async () => { throw new Error('kaboom at secret/internal/path.ts:12'); } } as unknown as CampaignStore;
  const a = await app({}, { stores: storesWith(failing) });
  const res = await request(a.app).get('/api/v1/campaigns/x1').set(auth);
  expect(res.status).toBe(500);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.stringify(res.body)).not.toMatch(/kaboom|secret|\.ts/);
  expect(res.body).toMatchObject({ status: 500, request_id: res.headers['x-request-id'] });
  const logged = a.logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
  expect(logged).toMatchObject({ request_id: res.headers['x-request-id'], err: { message: expect.stringContaining('kaboom') } });

  const down = { get: async () => { throw new Error('Connection is closed.'); } } as unknown as CampaignStore;
  const b = await app({}, { stores: storesWith(down) });
  const unavailable = await request(b.app).get('/api/v1/campaigns/x1').set(auth);
  expect(unavailable.status).toBe(503);
  expect(unavailable.headers['retry-after']).toBe('5');
});

test('metrics label routes by template (unmatched for no route), never by raw URL', async () => {
  const a = await app();
  await request(a.app).post('/api/v1/campaigns').set(auth).send(campaignBody({ id: 'm-1' }));
  await request(a.app).get('/api/v1/campaigns/m-1').set(auth);
  await request(a.app).get('/api/v1/campaigns/m-2').set(auth);
  await request(a.app).get('/totally/random/path').set(auth);
  const text = (await request(a.app).get('/metrics')).text;
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/campaigns\/:id",status_code="200"\} 1$/m);
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/campaigns\/:id",status_code="404"\} 1$/m);
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/campaigns",status_code="201"\} 1$/m);
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1$/m);
  expect(text).not.toContain('m-1');
  expect(text).not.toContain('random');
  expect(text).toContain('process_cpu_user_seconds_total');
});

test('gateway stats add up across two instances sharing one Redis', async () => {
  const env = { RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY_HOPS: '1' };
  const a = await app(env);
  const b = await app(env);
  const from = (x: TestApp, ip: string) => request(x.app).get('/api/v1/campaigns').set(auth).set('X-Forwarded-For', ip);
  await from(a, '192.0.2.1');
  await from(b, '192.0.2.1');
  await from(a, '192.0.2.1');
  await from(b, '192.0.2.1'); // 429: the budget is shared
  await request(b.app).get('/api/v1/campaigns').set('X-Forwarded-For', '192.0.2.2'); // 401
  await request(a.app).get('/api/v1/campaigns/nope').set(auth).set('X-Forwarded-For', '192.0.2.3'); // 404
  await b.stats.flush();
  const res = await request(a.app).get('/gateway/stats').set(auth).set('X-Forwarded-For', '192.0.2.4');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    scope: 'deployment',
    requests: {
      total: 6,
      by_status_class: { '2xx': 3, '4xx': 3 },
      by_route: { 'GET /api/v1/campaigns': 5, 'GET /api/v1/campaigns/:id': 1 },
    },
    rate_limited: 1,
    auth_failures: 1,
    latency: { window_minutes: 5, count: 6 },
    instance: { version: expect.any(String), uptime_seconds: expect.any(Number) },
  });
  expect(res.body.latency.mean_ms).toBeGreaterThan(0);
  expect(res.body.latency.p95_ms).toBeGreaterThanOrEqual(res.body.latency.mean_ms * 0.5);
  // The stats request itself is counted once it has finished and been flushed.
  await a.stats.flush();
  expect((await request(b.app).get('/gateway/stats').set(auth).set('X-Forwarded-For', '192.0.2.5')).body.requests.total).toBe(7);
});

test('one latency: /gateway/stats and the Prometheus histogram count the same requests, with the same buckets and durations', async () => {
  const a = await app();
  for (let i = 0; i < 5; i++) await request(a.app).get('/api/v1/campaigns').set(auth);
  await request(a.app).get('/api/v1/campaigns/nope').set(auth);
  const stats = await a.stats.read(); // in-process, so no request of its own is counted
  const text = (await request(a.app).get('/metrics')).text; // this request is still in flight: not in its own output
  const series = (name: string) => [...text.matchAll(new RegExp(`^http_request_duration_seconds_${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  const count = series('count').reduce((x, y) => x + y, 0);
  const sumMs = series('sum').reduce((x, y) => x + y, 0) * 1000;
  expect(stats.latency.count).toBe(count);
  expect(count).toBeGreaterThanOrEqual(6);
  // The same observation feeds both (stats round the mean to 0.01 ms).
  expect(Math.abs(stats.latency.mean_ms! - sumMs / count)).toBeLessThan(0.006);
  const bounds = [...new Set([...text.matchAll(/^http_request_duration_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\}/gm)].map((m) => m[1]!))].filter((le) => le !== '+Inf');
  expect(bounds.map((le) => Math.round(Number(le) * 1e6) / 1e3)).toEqual([...LATENCY_BUCKETS_MS]);
});

test('OpenAPI 3.1 is generated from the zod schemas the routes validate with; Swagger UI serves it', async () => {
  const a = await app();
  const doc = (await request(a.app).get('/api/openapi.json')).body;
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/api/v1/campaigns', '/api/v1/campaigns/{id}', '/api/v1/campaigns/suggested-questions', '/gateway/stats']),
  );
  expect(Object.keys(doc.paths['/api/v1/campaigns/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
  const { $schema: _s, ...inputSchema } = z.toJSONSchema(campaignInputSchema, { io: 'input', unrepresentable: 'any' });
  expect(doc.paths['/api/v1/campaigns'].post.requestBody.content['application/json'].schema).toEqual(inputSchema);
  const limit = doc.paths['/api/v1/campaigns'].get.parameters.find((p: { name: string }) => p.name === 'limit');
  expect(limit).toMatchObject({ in: 'query', required: false, schema: { maximum: 100, minimum: 1 } });
  expect(doc.paths['/api/v1/campaigns/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
  expect(doc.paths['/api/v1/campaigns'].post.security).toEqual([{ ApiKeyAuth: [] }, { BearerAuth: ['write'] }]);
  const html = await request(a.app).get('/api/docs/');
  expect(html.status).toBe(200);
  expect(html.text).toContain('swagger-ui');
  const init = await request(a.app).get('/api/docs/swagger-ui-init.js');
  expect(init.status).toBe(200);
  // the page loads the document by a relative URL instead of embedding it
  expect(init.text).toContain('../openapi.json');
});
