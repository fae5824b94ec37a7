import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
// jose is ESM-only; jest transforms it, and the types need the import resolution mode.
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type JWTPayload = import('jose', { with: { 'resolution-mode': 'import' } }).JWTPayload;
const { SignJWT } = require('jose') as Jose;
import { auth, campaignBody, cleanup, FULL_KEY, JWT_SECRET, makeApp, READ_KEY, readAuth, ready, testPrefix, type TestApp } from './helpers';

let prefix: string;
let apps: TestApp[] = [];

async function app(env: Record<string, string> = {}): Promise<TestApp> {
  const a = makeApp(prefix, env);
  apps.push(a);
  await ready(a.redis);
  return a;
}

beforeEach(() => {
  prefix = testPrefix('auth');
  apps = [];
});
afterEach(() => cleanup(prefix, ...apps));

const secret = new TextEncoder().encode(JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: JWTPayload, key: Uint8Array = secret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().sign(key);
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const list = (a: TestApp, headers: Record<string, string>) => request(a.app).get('/api/v1/campaigns').set(headers);
const create = (a: TestApp, headers: Record<string, string>) => request(a.app).post('/api/v1/campaigns').set(headers).send(campaignBody());

function expect401(res: request.Response, error?: string) {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="pca-agent"/);
  if (error) expect(res.headers['www-authenticate']).toContain(`error="${error}"`);
  expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', request_id: res.headers['x-request-id'] });
}

test('the matrix with HS256: missing, wrong key, valid keys, valid/expired/forged/none/wrong-audience tokens, scopes', async () => {
  const a = await app({ JWT_AUDIENCE: 'pca-agent-api', JWT_ISSUER: 'https://issuer.test' });
  const good = { sub: 'user-1', scope: 'read write', aud: 'pca-agent-api', iss: 'https://issuer.test' };

  expect401(await list(a, {}));
  expect((await list(a, {})).headers['www-authenticate']).toBe('Bearer realm="pca-agent"');
  expect401(await list(a, { 'X-API-Key': 'not-a-key' }), 'invalid_token');
  expect401(await list(a, bearer('not-a-key')), 'invalid_token');
  expect401(await list(a, { Authorization: 'Basic dXNlcjpwYXNz' }), 'invalid_request');
  expect401(await list(a, { 'X-API-Key': `${FULL_KEY}x` }), 'invalid_token');

  expect((await list(a, auth)).status).toBe(200);
  expect((await list(a, bearer(FULL_KEY))).status).toBe(200);
  expect((await list(a, readAuth)).status).toBe(200);
  expect((await list(a, bearer(await hs256({ ...good, exp: now() + 60 })))).status).toBe(200);
  expect((await list(a, bearer(await hs256({ ...good, scope: undefined, scopes: ['read'] })))).status).toBe(200);

  const expired = await list(a, bearer(await hs256({ ...good, exp: now() - 120 })));
  expect401(expired, 'invalid_token');
  expect(expired.headers['www-authenticate']).toContain('expired');
  expect401(await list(a, bearer(await hs256({ ...good, nbf: now() + 600 }))), 'invalid_token');
  expect401(await list(a, bearer(await hs256(good, new TextEncoder().encode('another-secret-that-is-long-enough-000000')))), 'invalid_token');
  expect401(await list(a, bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(good)}.`)), 'invalid_token');
  expect401(await list(a, bearer(await hs256({ ...good, aud: 'someone-else' }))), 'invalid_token');
  expect401(await list(a, bearer(await hs256({ ...good, iss: 'https://evil.test' }))), 'invalid_token');

  // Scopes: read-only key or token on a write route is 403, and nothing is written.
  const readOnlyKey = await create(a, readAuth);
  expect(readOnlyKey.status).toBe(403);
  expect(readOnlyKey.headers['www-authenticate']).toContain('error="insufficient_scope"');
  expect(readOnlyKey.body).toMatchObject({ status: 403, type: 'urn:pca-agent:problem:insufficient_scope' });
  expect((await create(a, bearer(await hs256({ ...good, scope: 'read' })))).status).toBe(403);
  expect((await list(a, bearer(await hs256({ ...good, scope: 'write' })))).status).toBe(403);
  expect((await list(a, bearer(await hs256({ ...good, scope: undefined })))).status).toBe(403);
  expect(await a.context.store.count()).toBe(0);
  expect((await create(a, bearer(await hs256(good)))).status).toBe(201);
  expect((await create(a, auth)).status).toBe(201);
  expect(await a.context.store.count()).toBe(2);

  const metrics = (await request(a.app).get('/metrics')).text;
  expect(metrics).toMatch(/^http_auth_failures_total\{reason="missing"\} 3$/m);
  expect(metrics).toMatch(/^http_auth_failures_total\{reason="expired"\} 1$/m);
  expect(metrics).toMatch(/^http_auth_failures_total\{reason="insufficient_scope"\} 4$/m);
  // Keys and tokens never reach the logs.
  expect(a.logs.lines.length).toBeGreaterThan(20);
  expect(a.logs.text).not.toContain(FULL_KEY);
  expect(a.logs.text).not.toContain(READ_KEY);
  expect(a.logs.text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
});

test('RS256 and ES256 with JWT_PUBLIC_KEY; HS256 signed with the public key (algorithm confusion) is refused', async () => {
  for (const [alg, pair] of [
    ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ] as const) {
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const a = await app({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem });
    const claims = { sub: 'svc', scope: 'read' };
    const token = await new SignJWT(claims).setProtectedHeader({ alg }).setExpirationTime('1m').sign(pair.privateKey);
    expect((await list(a, bearer(token))).status).toBe(200);
    const confused = await hs256(claims, new TextEncoder().encode(pem));
    expect401(await list(a, bearer(confused)), 'invalid_token');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect401(await list(a, bearer(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(other))), 'invalid_token');
  }
});

test('bearer tokens are refused when no JWT key is configured', async () => {
  const a = await app({ JWT_SECRET: '' });
  expect401(await list(a, bearer(await hs256({ scope: 'read' }))), 'invalid_token');
  expect((await list(a, auth)).status).toBe(200);
});

test('health, ready, metrics and docs are public; everything else needs credentials', async () => {
  const a = await app();
  for (const path of ['/health', '/ready', '/metrics', '/api/openapi.json', '/api/docs/']) {
    expect((await request(a.app).get(path)).status).toBe(200);
  }
  for (const path of ['/gateway/stats', '/api/v1/campaigns/suggested-questions', '/api/v1/nope']) {
    expect401(await request(a.app).get(path));
  }
});
