import request from 'supertest';
import { auth, cleanup, makeApp, ready, testPrefix, type TestApp } from './helpers';

let prefix: string;
let apps: TestApp[] = [];

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const a = makeApp(prefix, env);
  apps.push(a);
  await ready(a.redis);
  return a;
}

beforeEach(() => {
  prefix = testPrefix('sec');
  apps = [];
});
afterEach(() => cleanup(prefix, ...apps));

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const directives = (csp: string | undefined) => new Map((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name!, sources]));

test('over plain HTTP: no HSTS, no COOP, no upgrade-insecure-requests; JSON gets the API CSP, Swagger UI its own', async () => {
  const a = await app();
  for (const res of [
    await request(a.app).get('/api/v1/campaigns').set(auth),
    await request(a.app).get('/api/v1/campaigns'),
    await request(a.app).get('/nowhere').set(auth),
    await request(a.app).get('/health'),
    await request(a.app).get('/api/openapi.json'),
  ]) {
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  }
  const page = await request(a.app).get('/api/docs/');
  expect(page.status).toBe(200);
  const csp = directives(page.headers['content-security-policy']);
  expect(csp.has('upgrade-insecure-requests')).toBe(false);
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('connect-src')).toEqual(["'self'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(page.headers['strict-transport-security']).toBeUndefined();
  const init = await request(a.app).get('/api/docs/swagger-ui-init.js');
  expect(directives(init.headers['content-security-policy']).get('script-src')).toEqual(["'self'"]);
});

test('behind one trusted proxy that says https: HSTS, COOP and upgrade-insecure-requests on the page; JSON keeps the API CSP', async () => {
  const a = await app({ TRUST_PROXY_HOPS: '1' });
  const json = await request(a.app).get('/api/v1/campaigns').set(auth).set('X-Forwarded-Proto', 'https');
  expect(json.status).toBe(200);
  expect(json.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  expect(json.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(json.headers['content-security-policy']).toBe(API_CSP);
  const page = await request(a.app).get('/api/docs/').set('X-Forwarded-Proto', 'https');
  expect(page.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  expect(directives(page.headers['content-security-policy']).has('upgrade-insecure-requests')).toBe(true);
  // the same proxy forwarding a plain-HTTP request
  const plain = await request(a.app).get('/api/docs/').set('X-Forwarded-Proto', 'http');
  expect(plain.headers['strict-transport-security']).toBeUndefined();
  expect(directives(plain.headers['content-security-policy']).has('upgrade-insecure-requests')).toBe(false);
});

test('with TRUST_PROXY_HOPS=0 a forged X-Forwarded-Proto is ignored', async () => {
  const a = await app({ TRUST_PROXY_HOPS: '0' });
  for (const path of ['/api/docs/', '/api/v1/campaigns']) {
    const res = await request(a.app).get(path).set(auth).set('X-Forwarded-Proto', 'https');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(directives(res.headers['content-security-policy']).has('upgrade-insecure-requests')).toBe(false);
  }
});

test('Swagger UI uses only relative URLs: a relative redirect, ../openapi.json, server "..", no online validator', async () => {
  const a = await app();
  const redirect = await request(a.app).get('/api/docs?x=1');
  expect(redirect.status).toBe(301);
  expect(redirect.headers.location).toBe('docs/?x=1');
  const init = await request(a.app).get('/api/docs/swagger-ui-init.js');
  expect(init.text).toContain('"swaggerUrl": "../openapi.json"');
  expect(init.text).toContain('"validatorUrl": null');
  expect(init.text).not.toContain('"swaggerDoc"');
  const html = (await request(a.app).get('/api/docs/')).text;
  expect(html).not.toMatch(/(src|href)=["'](https?:)?\/\//);
  const served = (await request(a.app).get('/api/openapi.json')).body as { servers: unknown; components: { schemas: { Problem: { properties: object; required: string[] } } } };
  expect(served.servers).toEqual([{ url: '..', description: 'this API' }]);
  // an error raised before the gateway stamps X-Request-Id has none: documented, not required
  expect(Object.keys(served.components.schemas.Problem.properties)).toContain('request_id');
  expect(served.components.schemas.Problem.required).not.toContain('request_id');
  expect(served.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance']));
  // only the page itself is HTML; a path below it is the JSON 404
  const below = await request(a.app).get('/api/docs/nothing/here');
  expect(below.status).toBe(404);
  expect(below.headers['content-type']).toContain('application/problem+json');
});
