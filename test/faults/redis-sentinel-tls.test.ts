import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPrefix } from '../helpers/redis';
import { generateTlsFiles, SentinelSet } from '../helpers/redis-topologies';
import { freePort, httpStatus, RoleProcess, startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { auth, campaignsInLatestBackup, inlineRow, roleEnv } from './support';

jest.setTimeout(180_000);

// No spaces: sentinel.conf lines are split on them.
const SENTINEL_USER = { name: 'pca-sentinel', password: 's3ntinel-p@ss:w/rd' };

let root: string;
let set: SentinelSet;
let env: Record<string, string>;
let api: ApiHandle | undefined;
let worker: WorkerHandle | undefined;
const extra: RoleProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pca-sentinel-tls-'));
  const tls = await generateTlsFiles(root);
  // bitnami/redis with tls.enabled and sentinel: every link is TLS (clients, replication, sentinels); the sentinels
  // have ACLs with the default user off.
  set = await SentinelSet.start({ tls, sentinelUser: SENTINEL_USER });
  env = roleEnv(testPrefix('f-sentinel-tls'), 'rediss://127.0.0.1:6379/0', {
    REDIS_SENTINELS: set.sentinelAddresses,
    REDIS_SENTINEL_NAME: SentinelSet.MASTER,
    REDIS_SENTINEL_USERNAME: SENTINEL_USER.name,
    REDIS_SENTINEL_PASSWORD: SENTINEL_USER.password,
    REDIS_TLS_CA_FILE: tls.ca,
  });
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), worker?.proc.stop(), ...extra.map((p) => p.stop())]);
  await set?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function roundTrip(a: ApiHandle): Promise<void> {
  const post = await fetch(`${a.url}/api/v1/analyze-async`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ campaigns: [inlineRow(1), inlineRow(2)] }),
    signal: AbortSignal.timeout(10_000),
  });
  expect(post.status).toBe(202);
  const { task_id } = (await post.json()) as { task_id: string };
  const task = await waitFor('the job through the TLS sentinels', async () => {
    const t = (await (await fetch(`${a.url}/api/v1/tasks/${task_id}`, { headers: auth(), signal: AbortSignal.timeout(5000) })).json()) as { status: string };
    return ['completed', 'failed'].includes(t.status) && t;
  }, 60_000, 200);
  expect(task).toMatchObject({ status: 'completed' });
}

test('TLS primary and TLS sentinels with an ACL user: seed, API and worker round trip, and again after a failover', async () => {
  // Each without one piece: they must stay unready (503) and keep running, never crash.
  const broken: Record<string, Record<string, string>> = {
    'no sentinel username (the default user is off)': { ...env, REDIS_SENTINEL_USERNAME: '' },
    'plaintext to the TLS sentinels': { ...env, REDIS_SENTINEL_TLS: 'false' },
  };
  const unready = await Promise.all(
    Object.entries(broken).map(async ([name, e]) => {
      const port = await freePort();
      const proc = new RoleProcess('api', { ...e, PORT: String(port) });
      extra.push(proc);
      await waitFor(`${name}: /health answers`, async () => (await httpStatus(`http://127.0.0.1:${port}/health`)) === 200, 20_000, 100);
      return { name, port, proc };
    }),
  );

  const seed = new RoleProcess('seed', env, ['--count', '20']);
  expect({ exit: await seed.exited, stderr: seed.stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
  [api, worker] = await Promise.all([startApiProcess(env), startWorkerProcess({ ...env, WORKER_QUEUES: 'reports' })]);
  const page = await fetch(`${api.url}/api/v1/campaigns?limit=3`, { headers: auth() });
  expect(page.status).toBe(200);
  expect(((await page.json()) as { items: unknown[] }).items).toHaveLength(3);
  await roundTrip(api);

  // The broken ones had all of that time to connect.
  for (const u of unready) {
    expect({ name: u.name, ready: await httpStatus(`http://127.0.0.1:${u.port}/ready`, 3000), running: u.proc.running }).toEqual({ name: u.name, ready: 503, running: true });
  }

  // A failover over TLS: the sentinels promote the replica (TLS replication), the app asks them again (TLS, ACL).
  await set.primary.kill();
  await waitFor('the sentinels to promote the replica', async () => (await set.masterAddress()) === set.replica.address, 60_000, 100);
  await waitFor('the API to serve Redis-backed reads again', async () => {
    const res = await fetch(`${api!.url}/api/v1/campaigns?limit=1`, { headers: auth(), signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    await res?.arrayBuffer();
    return res?.status === 200;
  }, 60_000, 200);
  await roundTrip(api);
});

test('backup_data snapshots the sentinels\' current primary over TLS (REDIS_URL\'s host is not dialled); it restores into a single Redis', async () => {
  const backupEnv = { ...env, BLOB_FS_DIR: join(root, 'blobs') };
  const backup = new RoleProcess('task', backupEnv, ['backup_data', '--inline']);
  expect({ code: (await backup.exited).code, stderr: backup.stderr }).toEqual({ code: 0, stderr: '' });

  // The 20 seeded before the failover, read back from the promoted replica's snapshot.
  expect(await campaignsInLatestBackup(env.REDIS_KEY_PREFIX!, backupEnv.BLOB_FS_DIR)).toBe(20);
});
