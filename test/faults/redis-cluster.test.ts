import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { loadConfig, ConfigError } from '../../services/src/config/env';
import { bullPrefix } from '../../services/src/lib/keys';
import { waitListKey } from '../../services/src/queues/contract';
import { testPrefix } from '../helpers/redis';
import { RedisClusterSet, type RedisNode } from '../helpers/redis-topologies';
import { RoleProcess, startApiProcess, startWorkerProcess, waitFor, type ApiHandle, type WorkerHandle } from '../helpers/processes';
import { auth, campaignsInLatestBackup, roleEnv } from './support';

jest.setTimeout(120_000);

const RATE_LIMIT = 40;

let cluster: RedisClusterSet;
let prefix: string;
let env: Record<string, string>;
let api: ApiHandle;
let worker: WorkerHandle;
let blobDir: string;

beforeAll(async () => {
  cluster = await RedisClusterSet.start();
  // A hash tag: every key of the install, BullMQ's included, hashes to one slot.
  prefix = `{${testPrefix('f-cluster')}}`;
  blobDir = mkdtempSync(join(tmpdir(), 'pca-cluster-blobs-'));
  env = roleEnv(prefix, `redis://${cluster.nodes[0]!.address}/0`, { REDIS_CLUSTER_NODES: cluster.addresses, RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) });
});
afterAll(async () => {
  await Promise.all([api?.proc.stop(), worker?.proc.stop()]);
  await cluster?.close();
  if (blobDir) rmSync(blobDir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${api.url}${path}`, { ...init, headers: { ...auth(), 'content-type': 'application/json', ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function keysOn(node: RedisNode): Promise<string[]> {
  const c = node.client();
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out;
  } finally {
    c.disconnect();
  }
}

test('a prefix without a hash tag is refused in cluster mode, naming the variable', () => {
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_KEY_PREFIX: 'pca' })).toThrow(ConfigError);
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_KEY_PREFIX: 'pca' })).toThrow(/REDIS_KEY_PREFIX: "pca" has no hash tag.*\{pca\}/);
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_KEY_PREFIX: '{pca}', REDIS_URL: 'redis://h:6379/2' })).toThrow(/REDIS_URL: Redis Cluster has only database 0/);
  expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'no-port', REDIS_KEY_PREFIX: '{pca}' })).toThrow(/REDIS_CLUSTER_NODES: "no-port" is not host:port/);
  expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_KEY_PREFIX: '{pca}' }).REDIS_CLUSTER_NODES).toEqual(['127.0.0.1:7000']);
});

test('on a 3-primary Redis Cluster: seed, API reads and writes (Lua), jobs and artifacts, rate limit; all data in one slot', async () => {
  const seed = new RoleProcess('seed', env, ['--count', '50']);
  expect(await seed.exited).toEqual({ code: 0, signal: null });
  expect(seed.stdout).toContain('seeded 50 campaigns');
  [api, worker] = await Promise.all([startApiProcess(env), startWorkerProcess({ ...env, WORKER_QUEUES: 'reports' })]);

  // Reads and writes through the campaign store's multi-key Lua scripts.
  const page = await call('/api/v1/campaigns?limit=5&sort=-spend');
  expect(page.status).toBe(200);
  expect(page.body.items).toHaveLength(5);
  const created = await call('/api/v1/campaigns', {
    method: 'POST',
    body: JSON.stringify({ name: 'Cluster launch', channel: 'search', start_date: '2026-06-01', end_date: '2026-06-30', budget: 5000, spend: 100 }),
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await call(`/api/v1/campaigns/${id}`, { method: 'PATCH', body: JSON.stringify({ spend: 250 }) })).status).toBe(200);
  expect((await call(`/api/v1/campaigns/${id}`)).body).toMatchObject({ id, spend: 250 });
  expect((await call(`/api/v1/campaigns?channel=search&limit=100`)).body.items.map((c: { id: string }) => c.id)).toContain(id);
  expect((await call(`/api/v1/campaigns/${id}`, { method: 'DELETE' })).status).toBe(204);
  expect((await call(`/api/v1/campaigns/${id}`)).status).toBe(404);

  // A job through BullMQ on the cluster, and its artifact.
  const queued = await call('/api/v1/reports', { method: 'POST', body: JSON.stringify({ format: 'json', channel: 'social' }) });
  expect(queued.status).toBe(202);
  const task = await waitFor('the report task', async () => {
    const t = await call(`/api/v1/tasks/${queued.body.task_id}`);
    return ['completed', 'failed'].includes(t.body.status) && t.body;
  }, 60_000, 200);
  expect(task).toMatchObject({ status: 'completed', error: null });
  expect((await call(task.result.download_url)).status).toBe(200);

  // health_check and the pca_redis_* gauges read the node that holds the install's slot, not a random one: every
  // node gets its own maxmemory, so a figure from another node shows.
  const home = await cluster.nodeOf(`${prefix}:x`);
  const others = cluster.nodes.filter((n) => n !== home);
  for (const [n, mb] of [[home, 100], [others[0]!, 200], [others[1]!, 300]] as const) {
    const admin = n.client();
    await admin.config('SET', 'maxmemory', `${mb}mb`);
    admin.disconnect();
  }
  const healthTask = new RoleProcess('task', env, ['health_check', '--inline']);
  expect([0, 1]).toContain((await healthTask.exited).code);
  expect((await call('/api/v1/system/health')).body).toMatchObject({ redis: { maxmemory_bytes: 100 * 1024 * 1024 } });
  for (const url of [`${api.url}/metrics`, `${worker.url}/metrics`]) {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    expect({ url, max: /^pca_redis_memory_max_bytes (\S+)$/m.exec(text)?.[1] }).toEqual({ url, max: String(100 * 1024 * 1024) });
  }

  // The shared rate limit counts on the cluster: the request after the limit is refused.
  let limited: number | undefined;
  for (let i = 0; i < RATE_LIMIT + 1 && limited === undefined; i++) if ((await call('/api/v1/campaigns?limit=1')).status === 429) limited = i;
  expect(limited).toBeDefined();

  // Every key the project wrote (data, indexes, rate limit, stats, BullMQ's queue) lives on the node of the
  // prefix's slot, so that node's snapshot is the whole install.
  const homeKeys = await keysOn(home);
  expect(homeKeys).toEqual(expect.arrayContaining([`${prefix}:campaign-index-members`, `${prefix}:campaigns:count`, expect.stringMatching(/:rl:/), expect.stringMatching(/:stats:/), expect.stringMatching(/:bull:reports:/)]));
  expect(await Promise.all(others.map(keysOn))).toEqual(others.map(() => []));

  // KEDA's redis-cluster trigger reads the same list name the code derives.
  const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
  try {
    expect(await client.type(waitListKey(bullPrefix(prefix), 'reports'))).toMatch(/^(list|none)$/);
    expect(await client.exists(`${bullPrefix(prefix)}:reports:meta`)).toBe(1);
  } finally {
    await client.quit();
  }
});

test('backup_data on the cluster snapshots the primary of the prefix\'s slot; the restore command loads it into a single Redis', async () => {
  const home = await cluster.nodeOf(`${prefix}:x`);
  const elsewhere = cluster.nodes.find((n) => n !== home)!;
  // REDIS_URL names another node (as a configuration endpoint would): the backup must still find the slot's primary.
  const backupEnv = { ...env, REDIS_URL: `redis://${elsewhere.address}/0`, BLOB_FS_DIR: blobDir };
  const backup = new RoleProcess('task', backupEnv, ['backup_data', '--inline']);
  expect({ code: (await backup.exited).code, stderr: backup.stderr }).toEqual({ code: 0, stderr: '' });
  expect(backup.stdout).toMatch(/^backup_data \(inline\) completed/);

  // The seeded campaigns (50; the test above created and deleted one) came back from the slot's node.
  expect(await campaignsInLatestBackup(prefix, blobDir)).toBe(50);
});
