import request from 'supertest';
import { readAll } from '../../services/src/storage/blob-store';
import { freePort, RoleProcess } from '../helpers/processes';
import { REDIS_URL } from '../helpers/redis';
import { S3Server } from '../helpers/s3rver';
import { TcpProxy } from '../helpers/tcp-proxy';
import { auth, cleanup, makeApp, ready, testPrefix, type TestApp } from './helpers';

const BUCKET = 'pca-api-test';
let s3: S3Server;
let proxy: TcpProxy;
let prefix: string;
let apps: TestApp[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await S3Server.start();
  await s3.createBucket(BUCKET);
  proxy = await TcpProxy.start(s3.port);
  // the SDK reads the standard AWS_* variables, as it does in a pod
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
});
afterAll(async () => {
  process.env = saved;
  await proxy?.close();
  await s3?.close();
});
beforeEach(() => {
  prefix = testPrefix('blobapi');
  apps = [];
});
afterEach(() => cleanup(prefix, ...apps));

async function s3App(env: Record<string, string> = {}): Promise<TestApp> {
  const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _b, ...s3env } = s3.env(BUCKET);
  const a = makeApp(prefix, { ...s3env, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, S3_PREFIX: 'install-a', ...env });
  apps.push(a);
  await ready(a.redis);
  return a;
}

test('s3: an upload lands in the bucket, not in Redis; a report streams from the bucket', async () => {
  const a = await s3App();
  const csv = 'name,channel,start_date,end_date,budget,spend\nA,search,2026-01-01,2026-01-31,100,50\n';
  const up = await request(a.app).post('/api/v1/uploads').set(auth).attach('file', Buffer.from(csv), { filename: 'c.csv', contentType: 'text/csv' });
  expect(up.status).toBe(202);
  const stored = await a.context.stores.blobs.stat(`${prefix}/uploads/${up.body.upload_id}`);
  expect(stored?.size).toBe(csv.length);
  const keys = await a.redis.keys(`${prefix}:*`);
  expect(keys.filter((k) => !k.startsWith(`${prefix}:bull:`) && !k.startsWith(`${prefix}:stats:`) && !k.startsWith(`${prefix}:rl:`))).toEqual([]);

  const body = Buffer.alloc(3 * 1024 * 1024, 7);
  await a.context.stores.artifacts.put('rpt_s3', body, { format: 'pdf', filename: 'r.pdf', job_id: 'j' });
  const res = await request(a.app).get('/api/v1/reports/rpt_s3').set(auth).buffer(true).parse((r, cb) => {
    readAll(r as unknown as AsyncIterable<Buffer>).then(
      (b) => cb(null, b),
      (e: Error) => cb(e, null),
    );
  });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(res.headers['content-length']).toBe(String(body.length));
  expect((res.body as Buffer).equals(body)).toBe(true);
});

test('s3 redirect mode: the download is a 302 to a short-lived presigned URL that serves the file', async () => {
  const a = await s3App({ REPORT_DOWNLOAD_MODE: 'redirect', REPORT_PRESIGN_SECONDS: '60' });
  await a.context.stores.artifacts.put('rpt_redir', Buffer.from('{"a":1}'), { format: 'json', filename: 'r.json', job_id: 'j' });
  const res = await request(a.app).get('/api/v1/reports/rpt_redir').set(auth);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.location!);
  expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
  const direct = await fetch(location);
  expect(direct.status).toBe(200);
  expect(await direct.text()).toBe('{"a":1}');
  expect((await request(a.app).get('/api/v1/reports/rpt_none').set(auth)).status).toBe(404);
});

test('s3 unreachable: /ready says blob_store_unreachable, and is ready again when the store answers', async () => {
  const a = await s3App();
  expect((await request(a.app).get('/ready')).status).toBe(200);
  proxy.cut();
  try {
    const res = await request(a.app).get('/ready');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', reasons: ['blob_store_unreachable'] });
  } finally {
    proxy.restore();
  }
  expect((await request(a.app).get('/ready')).status).toBe(200);
});

test('a missing bucket stops the API at start-up with one clear line', async () => {
  const proc = new RoleProcess('api', { ...s3.env('no-such-bucket-xyz'), REDIS_URL, REDIS_KEY_PREFIX: prefix, PORT: String(await freePort()) });
  const exit = await proc.exited;
  expect(exit.code).toBe(78);
  expect(proc.stderr.trim()).toBe('pca-agent: S3 bucket "no-such-bucket-xyz" does not exist (S3_BUCKET); create it or fix the name');
}, 20_000);

test('REPORT_DOWNLOAD_MODE=redirect without S3 and BLOB_BACKEND=s3 without a bucket are configuration errors naming the variable', () => {
  expect(() => makeApp(prefix, { REPORT_DOWNLOAD_MODE: 'redirect' })).toThrow(/REPORT_DOWNLOAD_MODE: redirect needs BLOB_BACKEND=s3/);
  expect(() => makeApp(prefix, { BLOB_BACKEND: 's3' })).toThrow(/S3_BUCKET: required with BLOB_BACKEND=s3/);
});
