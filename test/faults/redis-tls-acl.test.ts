import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPrefix } from '../helpers/redis';
import { startTlsRedis, type RedisNode } from '../helpers/redis-topologies';
import { httpStatus, RoleProcess, sleep, startApiProcess, startWorkerProcess, waitFor, freePort, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { auth, inlineRow, roleEnv } from './support';

jest.setTimeout(120_000);

const USER = 'pca-app';
const PASSWORD = 'tls acl p@ss:w/rd';

let root: string;
let redis: RedisNode;
let ca: string;
let env: Record<string, string>;
let api: ApiHandle | undefined;
let worker: WorkerHandle | undefined;
const extra: RoleProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pca-tls-'));
  ({ node: redis, ca } = await startTlsRedis(root, USER, PASSWORD));
  // Managed-service style: TLS only, the default user off, an ACL user whose password is not URL-encoded.
  env = roleEnv(testPrefix('f-tls'), `rediss://127.0.0.1:${redis.port}/0`, { REDIS_USERNAME: USER, REDIS_PASSWORD: PASSWORD, REDIS_TLS_CA_FILE: ca });
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), worker?.proc.stop(), ...extra.map((p) => p.stop())]);
  await redis?.kill();
  rmSync(root, { recursive: true, force: true });
});

test('rediss:// with a mounted CA and an ACL user: seed, API, worker and task all connect', async () => {
  const seed = new RoleProcess('seed', env, ['--count', '20']);
  expect(await seed.exited).toEqual({ code: 0, signal: null });
  [api, worker] = await Promise.all([startApiProcess(env), startWorkerProcess({ ...env, WORKER_QUEUES: 'reports,maintenance' })]);
  const get = await fetch(`${api.url}/api/v1/campaigns?limit=3`, { headers: auth() });
  expect(get.status).toBe(200);
  expect(((await get.json()) as { items: unknown[] }).items).toHaveLength(3);
  const post = await fetch(`${api.url}/api/v1/analyze-async`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ campaigns: [inlineRow(1), inlineRow(2)] }),
  });
  expect(post.status).toBe(202);
  const { task_id } = (await post.json()) as { task_id: string };
  await waitFor('the job over TLS', async () => ((await (await fetch(`${api!.url}/api/v1/tasks/${task_id}`, { headers: auth() })).json()) as { status: string }).status === 'completed', 30_000, 200);
  const task = new RoleProcess('task', env, ['health_check', '--inline']);
  const exit = await task.exited;
  // The check may fail a threshold (exit 1); either way it ran against Redis and stored its report there.
  expect([0, 1]).toContain(exit.code);
  const health = await fetch(`${api.url}/api/v1/system/health`, { headers: auth() });
  expect(health.status).toBe(200);
});

test('the server certificate is verified and the ACL enforced: without the CA or with a wrong password the API stays unready, never crashes', async () => {
  const cases: Record<string, Record<string, string>> = {
    'no CA': { ...env, REDIS_TLS_CA_FILE: '' },
    'wrong password': { ...env, REDIS_PASSWORD: 'not-the-password' },
    'plaintext to a TLS port': { ...env, REDIS_URL: `redis://127.0.0.1:${redis.port}/0`, REDIS_TLS_CA_FILE: '' },
  };
  const started = await Promise.all(
    Object.entries(cases).map(async ([name, e]) => {
      const port = await freePort();
      const proc = new RoleProcess('api', { ...e, PORT: String(port) });
      extra.push(proc);
      await waitFor(`${name}: /health answers`, async () => (await httpStatus(`http://127.0.0.1:${port}/health`)) === 200, 20_000, 100);
      return { name, port, proc };
    }),
  );
  // "Stays" is a property over time: every probe over 2 s (about ten reconnect attempts) is a 503, and no
  // process has exited, rather than one sample taken after a sleep.
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    for (const s of started) {
      expect({ name: s.name, ready: await httpStatus(`http://127.0.0.1:${s.port}/ready`, 3000), running: s.proc.running }).toEqual({ name: s.name, ready: 503, running: true });
    }
    await sleep(200);
  }
});
