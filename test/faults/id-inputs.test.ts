import { request } from 'node:http';
import type { Redis } from 'ioredis';
import { enqueue } from '../../services/src/queues/queues';
import { ArtifactStore } from '../../services/src/storage/artifact-store';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { TEST_BLOB_DIR, testPrefix } from '../helpers/redis';
import { RedisServer, startApiProcess, waitFor, type ApiHandle } from '../helpers/processes';
import { auth, queueFixture, roleEnv, WRITE_KEY, type QueueFixture } from './support';

jest.setTimeout(60_000);

let redis: RedisServer;
let mine: QueueFixture;
let other: QueueFixture; // another install ("tenant") on the same Redis
let api: ApiHandle;
let monitor: Redis;
const commands: string[][] = [];
let otherTask: string;
const otherReport = 'rpt_secret-report';

beforeAll(async () => {
  redis = await RedisServer.start({ aof: false });
  mine = queueFixture('f-ids-a', redis.url, testPrefix('f-ids-a'));
  other = queueFixture('f-ids-b', redis.url, testPrefix('f-ids-b'));
  otherTask = (await enqueue(other.queues, 'refresh_benchmarks', {})).id!;
  await new ArtifactStore(other.redis, new FsBlobStore(TEST_BLOB_DIR), other.prefix, { retentionDays: 7, maxBytes: 1024 }).put(otherReport, Buffer.from('{"secret":1}'), {
    format: 'json',
    filename: 'secret.json',
    job_id: otherTask,
  });
  api = await startApiProcess(roleEnv(mine.prefix, redis.url));
  monitor = await mine.redis.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
});
afterAll(async () => {
  monitor?.disconnect();
  await api?.proc.stop();
  await mine?.close();
  await other?.close();
  await redis?.close();
});

/**
 * Resolves once MONITOR has delivered everything Redis ran before this call: Redis reports commands to a
 * monitor in execution order, so when a marker command sent now shows up, every earlier one has too.
 */
async function monitorCaughtUp(): Promise<void> {
  const marker = `${mine.prefix}:monitor-mark:${process.hrtime.bigint()}`; // inside the prefix, as the checks below demand
  await mine.redis.exists(marker);
  await waitFor('MONITOR to deliver the marker command', () => commands.some((c) => c.includes(marker)), 10_000, 10);
}

/** A request with the path sent byte for byte (no client-side normalisation of dot segments). */
function raw(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, headers: { 'x-api-key': WRITE_KEY } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('traversal-like, injected and overlong ids in /tasks/{id} and /reports/{id}: 400/404, no Redis access outside the prefix', async () => {
  const hostile = [
    '../../etc/passwd',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f%2e%2e',
    '..',
    'x%00y',
    'a:b',
    '*',
    '[a-z]*',
    '%7Bhash%7D',
    `${encodeURIComponent(other.prefix)}%3Aartifact%3A${otherReport}`,
    encodeURIComponent(`${other.prefix}:bull:maintenance:${otherTask}`),
    'rpt_..%2F..%2Fx',
    '%252e%252e%252f',
    '%EF%BD%94%EF%BD%81%EF%BD%93%EF%BD%8B', // full-width "task"
    'x'.repeat(65),
    'x'.repeat(10_000),
    'a'.repeat(64), // well-formed, absent
    otherTask, // a real id, of the other tenant
    otherReport,
  ];
  await monitorCaughtUp(); // the monitor is live before the first request
  commands.length = 0;
  const results: string[] = [];
  for (const base of ['/api/v1/tasks/', '/api/v1/reports/']) {
    for (const id of hostile) {
      const r = await raw(`${base}${id}`);
      results.push(`${base}${id.slice(0, 40)} → ${r.status}`);
      expect({ id: id.slice(0, 80), ok: r.status === 400 || r.status === 404 }).toEqual({ id: id.slice(0, 80), ok: true });
      expect(r.type).toContain('application/problem+json');
    }
    // Dot segments sent literally, and a second path segment.
    for (const path of [`${base}../../campaigns`, `${base}x/../../../${other.prefix}`, `${base}a/b`]) {
      const r = await raw(path);
      expect([400, 404]).toContain(r.status);
    }
  }
  await monitorCaughtUp();
  const flat = commands.map((c) => c.join(' '));
  expect(flat.length).toBeGreaterThan(0); // the monitor saw the API's lookups
  // Nothing of the other install was read, and no hostile text reached Redis.
  expect(flat.filter((c) => c.includes(other.prefix))).toEqual([]);
  // eslint-disable-next-line no-control-regex -- a NUL byte reaching Redis is exactly what this looks for
  expect(flat.filter((c) => /\.\.|passwd|\*|\[a-z\]|\{hash\}|%|\u0000/.test(c.replace(/^(evalsha|eval|script)\b.*/i, '')))).toEqual([]);
  // Every key the lookups touched is under this install's prefix.
  const keyCommands = commands.filter((c) => ['get', 'hgetall', 'hget', 'hmget', 'exists', 'zscore', 'getbuffer', 'type', 'lrange'].includes(c[0]!.toLowerCase()));
  expect(keyCommands.length).toBeGreaterThan(0);
  for (const c of keyCommands) expect(c[1]!.startsWith(`${mine.prefix}:`)).toBe(true);
  console.log(`ids: ${results.length + 6} hostile id requests, all 400/404; ${commands.length} Redis commands, all inside the prefix`);
});

test('the other install’s task and report stay readable by its own API (the ids were real)', async () => {
  const otherApi = await startApiProcess(roleEnv(other.prefix, redis.url));
  try {
    const task = await fetch(`${otherApi.url}/api/v1/tasks/${otherTask}`, { headers: auth() });
    expect(task.status).toBe(200);
    const report = await fetch(`${otherApi.url}/api/v1/reports/${otherReport}`, { headers: auth() });
    expect(report.status).toBe(200);
    expect(await report.json()).toEqual({ secret: 1 });
  } finally {
    await otherApi.proc.stop();
  }
});
