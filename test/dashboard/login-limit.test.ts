import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '../../services/src/config/env';
import { createDashboardApp, type DashboardOptions } from '../../services/src/dashboard/app';
import { createLogger } from '../../services/src/lib/logger';
import { closeQueues, createQueues, type Queues } from '../../services/src/queues/queues';
import { LogCapture } from '../api/helpers';
import { freePort, RoleProcess, waitFor } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const USER = 'ops';
const PASSWORD = 'dash-pass-5e8a1c7b9d20';
const WRONG = ['guess-one-a1b2c3d4', 'guess-two-e5f6a7b8', 'guess-three-c9d0e1f2', 'guess-four-a3b4c5d6'];
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let queues: Queues;
let logs: LogCapture;
const procs: RoleProcess[] = [];

beforeEach(() => {
  prefix = testPrefix('dash-login');
  queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
  logs = new LogCapture();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

const app = (opts: Partial<DashboardOptions> = {}) =>
  createDashboardApp({
    queues,
    redis,
    keyPrefix: prefix,
    username: USER,
    password: PASSWORD,
    maxLoginFailures: 3,
    loginWindowMs: 600_000,
    logger: createLogger({ service: 'pca-agent-dashboard', level: 'trace', pretty: false, destination: logs }),
    ...opts,
  });

test('after the allowed failures every attempt, even the right one, is a 429 problem+json with Retry-After', async () => {
  const a = app();
  for (const guess of WRONG.slice(0, 3)) {
    const res = await request(a).get('/api/queues').set('Authorization', basic(USER, guess));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
  }
  for (const auth of [basic(USER, WRONG[3]!), basic(USER, PASSWORD)]) {
    const res = await request(a).get('/api/queues').set('Authorization', auth);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 429, type: 'urn:pca-agent:problem:too_many_failed_logins' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(590);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(600);
  }
  // the probes are never limited
  expect((await request(a).get('/health')).status).toBe(200);

  const lines = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => l.msg === 'dashboard login failed').map((l) => [l.client_ip, l.reason, l.failures])).toEqual([
    ['127.0.0.1', 'wrong credentials', 1],
    ['127.0.0.1', 'wrong credentials', 2],
    ['127.0.0.1', 'wrong credentials', 3],
  ]);
  expect(lines.filter((l) => l.msg === 'dashboard login blocked: too many failed attempts')).toHaveLength(1);
  for (const secret of [PASSWORD, ...WRONG]) expect(logs.text).not.toContain(secret);
});

test('only refused credentials count: requests without credentials and accepted logins do not', async () => {
  const a = app();
  for (let i = 0; i < 5; i++) expect((await request(a).get('/api/queues')).status).toBe(401);
  for (let i = 0; i < 5; i++) expect((await request(a).get('/api/queues').set('Authorization', basic(USER, PASSWORD))).status).toBe(200);
  // a 4xx from bull-board itself is no failed login
  for (let i = 0; i < 5; i++) expect((await request(a).get('/api/queues/nope').set('Authorization', basic(USER, PASSWORD))).status).toBeGreaterThanOrEqual(400);
  for (const guess of WRONG.slice(0, 3)) expect((await request(a).get('/').set('Authorization', basic(USER, guess))).status).toBe(401);
  expect((await request(a).get('/').set('Authorization', basic(USER, PASSWORD))).status).toBe(429);
  // a malformed header is a refused attempt too
  const b = app({ keyPrefix: `${prefix}-b` });
  for (let i = 0; i < 3; i++) expect((await request(b).get('/').set('Authorization', 'Basic bm9jb2xvbg==')).status).toBe(401);
  expect((await request(b).get('/').set('Authorization', basic(USER, PASSWORD))).status).toBe(429);
  await deleteByPrefix(redis, `${prefix}-b`);
});

test('parallel requests: a page\'s right-credential burst is never refused, a burst of wrong guesses gets exactly the allowed 401s', async () => {
  const a = app();
  for (const guess of WRONG.slice(0, 2)) expect((await request(a).get('/').set('Authorization', basic(USER, guess))).status).toBe(401);
  const right = await Promise.all(Array.from({ length: 20 }, () => request(a).get('/api/queues').set('Authorization', basic(USER, PASSWORD))));
  expect(right.map((r) => r.status)).toEqual(Array(20).fill(200));

  const b = app({ keyPrefix: `${prefix}-burst` });
  const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => request(b).get('/').set('Authorization', basic(USER, `burst-guess-${i}`))));
  const statuses = guesses.map((r) => r.status);
  expect(statuses.filter((s) => s === 401)).toHaveLength(3);
  expect(statuses.filter((s) => s === 429)).toHaveLength(27);
  await deleteByPrefix(redis, `${prefix}-burst`);
});

test('with Redis unreachable the limit fails open by default and closed (503 problem+json) when told', async () => {
  const down = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true });
  down.on('error', () => undefined);
  try {
    const open = app({ loginRedis: down });
    expect((await request(open).get('/api/queues').set('Authorization', basic(USER, PASSWORD))).status).toBe(200);
    expect((await request(open).get('/api/queues').set('Authorization', basic(USER, WRONG[0]!))).status).toBe(401);
    const closed = app({ loginRedis: down, loginLimitFailOpen: false });
    for (const pass of [PASSWORD, WRONG[0]!]) {
      const res = await request(closed).get('/api/queues').set('Authorization', basic(USER, pass));
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.text).not.toMatch(/\n\s+at /);
    }
    expect(logs.text).toContain('rate limit store unavailable');
  } finally {
    down.disconnect();
  }
});

test('the client is the socket peer unless TRUST_PROXY_HOPS trusts a proxy', async () => {
  const direct = app();
  for (const [i, guess] of WRONG.slice(0, 3).entries()) {
    await request(direct).get('/').set('X-Forwarded-For', `198.51.100.${i}`).set('Authorization', basic(USER, guess));
  }
  // a forged X-Forwarded-For does not make a new client
  expect((await request(direct).get('/').set('X-Forwarded-For', '198.51.100.99').set('Authorization', basic(USER, PASSWORD))).status).toBe(429);

  const proxied = app({ trustProxyHops: 1, keyPrefix: `${prefix}-p` });
  for (const guess of WRONG.slice(0, 3)) await request(proxied).get('/').set('X-Forwarded-For', '198.51.100.7').set('Authorization', basic(USER, guess));
  expect((await request(proxied).get('/').set('X-Forwarded-For', '198.51.100.7').set('Authorization', basic(USER, PASSWORD))).status).toBe(429);
  expect((await request(proxied).get('/').set('X-Forwarded-For', '198.51.100.8').set('Authorization', basic(USER, PASSWORD))).status).toBe(200);
  await deleteByPrefix(redis, `${prefix}-p`);
});

test('two dashboard processes share the count through Redis; neither logs a password', async () => {
  const start = async () => {
    const port = await freePort();
    const proc = new RoleProcess('dashboard', {
      REDIS_KEY_PREFIX: prefix,
      DASHBOARD_PORT: String(port),
      DASHBOARD_USERNAME: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      DASHBOARD_LOGIN_MAX_FAILURES: '4',
      DASHBOARD_LOGIN_WINDOW_MS: '600000',
      LOG_LEVEL: 'trace',
    });
    procs.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await proc.waitReady(`${url}/ready`);
    return { proc, url };
  };
  const [a, b] = await Promise.all([start(), start()]);
  const attempt = async (url: string, pass: string) => {
    const res = await fetch(`${url}/api/queues`, { headers: { authorization: basic(USER, pass) } });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };
  expect((await attempt(a.url, PASSWORD)).status).toBe(200);
  expect((await attempt(a.url, WRONG[0]!)).status).toBe(401);
  expect((await attempt(b.url, WRONG[1]!)).status).toBe(401);
  expect((await attempt(a.url, WRONG[2]!)).status).toBe(401);
  expect((await attempt(b.url, WRONG[3]!)).status).toBe(401);
  for (const url of [a.url, b.url]) {
    const blocked = await attempt(url, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
  }
  const failures = (p: RoleProcess) => p.logLines().filter((l) => l.msg === 'dashboard login failed');
  await waitFor('both processes logged their failures', () => failures(a.proc).length === 2 && failures(b.proc).length === 2);
  expect(failures(b.proc).map((l) => l.failures)).toEqual([2, 4]);
  for (const p of [a.proc, b.proc]) {
    for (const secret of [PASSWORD, ...WRONG]) {
      expect(p.stdout).not.toContain(secret);
      expect(p.stderr).not.toContain(secret);
    }
  }
});
