import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '../../services/src/config/env';
import { createDashboardApp, type DashboardOptions } from '../../services/src/dashboard/app';
import { closeQueues, createQueues, type Queues } from '../../services/src/queues/queues';
import { RoleProcess } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let queues: Queues;
const auth = `Basic ${Buffer.from('ops:s3cret-pass').toString('base64')}`;

beforeEach(async () => {
  prefix = testPrefix('dash');
  queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
  const job = await queues.reports.add('generate_pdf_report', {}, { jobId: 'f1', attempts: 1 });
  // a failed job to retry: moved to the failed set as BullMQ does, without a worker
  await redis.multi().lrem(queues.reports.keys.wait!, 0, job.id!).zadd(queues.reports.keys.failed!, Date.now(), job.id!).hset(queues.reports.toKey(job.id!), 'failedReason', 'boom', 'finishedOn', String(Date.now())).exec();
});
afterEach(async () => {
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
});
afterAll(() => redis.quit());

const app = (opts: Partial<DashboardOptions> = {}) =>
  createDashboardApp({ queues, redis, keyPrefix: prefix, username: 'ops', password: 's3cret-pass', ...opts });

test('401 with a Basic challenge without or with wrong credentials; probes stay open', async () => {
  const a = app();
  const none = await request(a).get('/api/queues');
  expect(none.status).toBe(401);
  expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
  expect(none.headers['content-type']).toContain('application/problem+json');
  expect(none.body).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'the dashboard needs its user name and password' });
  expect((await request(a).get('/').set('Authorization', `Basic ${Buffer.from('ops:wrong').toString('base64')}`)).status).toBe(401);
  expect((await request(a).get('/').set('Authorization', `Basic ${Buffer.from('ops').toString('base64')}`)).status).toBe(401);
  expect((await request(a).get('/health')).status).toBe(200);
  expect((await request(a).get('/ready')).status).toBe(200);
  const metrics = await request(a).get('/metrics');
  expect(metrics.text).toContain('pca_queue_jobs{queue="reports",state="failed"} 1');
});

test('with credentials: the UI and every queue', async () => {
  const a = app();
  const ui = await request(a).get('/').set('Authorization', auth);
  expect(ui.status).toBe(200);
  expect(ui.text).toContain('<title>pca-agent</title>');
  const list = await request(a).get('/api/queues').set('Authorization', auth);
  expect(list.status).toBe(200);
  const names = (list.body.queues as { name: string }[]).map((q) => q.name).sort();
  expect(names).toEqual(['maintenance', 'reports', 'uploads']);
});

test('read-only by default (the app, the env default): a retry is refused; it works only when writable is chosen', async () => {
  expect(loadConfig({}).DASHBOARD_READ_ONLY).toBe(true);
  for (const ro of [app(), app({ readOnly: loadConfig({}).DASHBOARD_READ_ONLY })]) {
    expect((await request(ro).put('/api/queues/reports/f1/retry').set('Authorization', auth)).status).toBe(405);
    expect((await request(ro).put('/api/queues/reports/clean/failed').set('Authorization', auth)).status).toBe(405);
  }
  expect(await queues.reports.getJobState('f1')).toBe('failed');
  const rw = await request(app({ readOnly: false })).put('/api/queues/reports/f1/retry').set('Authorization', auth);
  expect(rw.status).toBeLessThan(300);
  expect(await queues.reports.getJobState('f1')).toBe('waiting');
});

test('served under a sub-path for a reverse proxy', async () => {
  const a = app({ basePath: '/ops/queues' });
  expect((await request(a).get('/ops/queues/api/queues')).status).toBe(401);
  const res = await request(a).get('/ops/queues/api/queues').set('Authorization', auth);
  expect(res.status).toBe(200);
  const ui = await request(a).get('/ops/queues').set('Authorization', auth);
  expect(ui.text).toContain('<base href="/ops/queues/" />');
  expect((await request(a).get('/health')).status).toBe(200);
});

test('the dashboard process refuses to start without credentials', async () => {
  const proc = new RoleProcess('dashboard', { REDIS_KEY_PREFIX: prefix, DASHBOARD_PORT: '5599', DASHBOARD_USERNAME: 'ops' });
  const exit = await proc.exited;
  expect(exit.code).toBe(78);
  expect(proc.stderr).toContain('DASHBOARD_PASSWORD: required');
});
