import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix } from '../../services/src/lib/keys';
import { activeListKey, QUEUE_NAMES, QUEUES, waitListKey } from '../../services/src/queues/contract';
import { loadConfig } from '../../services/src/config/env';
import { concurrencyPlan } from '../../services/src/workers/worker-options';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { find, render, type K8sObject } from './helm';

const KEDA = ['--api-versions', 'keda.sh/v1alpha1/ScaledObject'];
const kinds = (objects: K8sObject[]) => objects.filter((o) => o.metadata.name === 'rel-pca-agent-worker').map((o) => o.kind).sort();
const everyTrigger = (objects: K8sObject[]) => (find(objects, 'ScaledObject', 'rel-pca-agent-worker') as any).spec.triggers as any[];
// the Redis triggers (the metrics-api ones for prioritized and delayed work have their own test)
const allTriggers = (objects: K8sObject[]) => everyTrigger(objects).filter((t) => t.type === 'redis');
const triggers = (objects: K8sObject[]) => allTriggers(objects).filter((t) => t.type === 'redis' && !String(t.name).endsWith('-active'));
const activeTriggers = (objects: K8sObject[]) => allTriggers(objects).filter((t) => String(t.name).endsWith('-active'));

describe('worker autoscaling follows the cluster capabilities', () => {
  test('without KEDA: a CPU HPA (min at least 1) and no replicas in the Deployment', () => {
    const objects = render(['--set', 'worker.autoscaling.minReplicaCount=0']);
    expect(kinds(objects)).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'Service']);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'rel-pca-agent-worker') as any;
    expect(hpa.spec.minReplicas).toBe(1);
    expect(hpa.spec.maxReplicas).toBe(10);
    expect((find(objects, 'Deployment', 'rel-pca-agent-worker') as any).spec.replicas).toBeUndefined();
    expect(objects.some((o) => o.apiVersion.startsWith('keda.sh/'))).toBe(false);
  });

  test('with --api-versions keda.sh/v1alpha1/ScaledObject: ScaledObject + TriggerAuthentication from the Redis secret, no HPA', () => {
    const objects = render([...KEDA, '--set', 'worker.autoscaling.maxReplicaCount=7', '--set', 'worker.autoscaling.listLength=25', '--set', 'worker.autoscaling.activationListLength=2', '--set', 'worker.autoscaling.pollingInterval=5', '--set', 'worker.autoscaling.cooldownPeriod=60']);
    expect(kinds(objects)).toEqual(['Deployment', 'ScaledObject', 'Service']);
    const so = find(objects, 'ScaledObject', 'rel-pca-agent-worker') as any;
    expect(so.spec).toMatchObject({ scaleTargetRef: { name: 'rel-pca-agent-worker' }, minReplicaCount: 0, maxReplicaCount: 7, pollingInterval: 5, cooldownPeriod: 60 });
    expect(everyTrigger(objects).map((t) => t.name)).toEqual([...QUEUE_NAMES.flatMap((q) => [`queue-${q}`, `queue-${q}-active`]), ...QUEUE_NAMES.map((q) => `queue-${q}-pending`)]);
    // Running jobs count per the queue's share of the pod budget (4 = reports 2 + uploads 1 + maintenance 1).
    const shares: Record<string, string> = { 'queue-reports-active': '2', 'queue-uploads-active': '1', 'queue-maintenance-active': '1' };
    for (const t of activeTriggers(objects)) expect(t.metadata).toMatchObject({ listLength: shares[t.name], activationListLength: '0' });
    for (const t of triggers(objects)) {
      expect(t).toMatchObject({ type: 'redis', authenticationRef: { name: 'rel-pca-agent-worker-redis' } });
      expect(t.metadata).toMatchObject({ address: 'rel-pca-agent-redis.pca.svc:6379', listLength: '25', activationListLength: '2' });
    }
    const ta = find(objects, 'TriggerAuthentication', 'rel-pca-agent-worker-redis') as any;
    expect(ta.spec.secretTargetRef).toEqual([{ parameter: 'password', name: 'rel-pca-agent-redis', key: 'redis-password' }]);
    expect(find(objects, 'Secret', 'rel-pca-agent-redis')).toBeDefined();
  });

  const externalSecret = (objects: K8sObject[]) =>
    Object.fromEntries(
      Object.entries((find(objects, 'Secret', 'rel-pca-agent-external-redis') as any).data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );

  test('external Redis: the URL is parsed once, completely; KEDA gets address, user and password from the Secret', () => {
    const objects = render([...KEDA, '--set', 'redis.enabled=false', '--set', 'externalRedis.url=redis://:pw123@cache.internal:6380/0']);
    const ta = find(objects, 'TriggerAuthentication', 'rel-pca-agent-worker-redis') as any;
    expect(ta.spec.secretTargetRef).toEqual([
      { parameter: 'password', name: 'rel-pca-agent-external-redis', key: 'redis-password' },
      { parameter: 'username', name: 'rel-pca-agent-external-redis', key: 'redis-username' },
      { parameter: 'address', name: 'rel-pca-agent-external-redis', key: 'redis-address' },
    ]);
    expect(externalSecret(objects)).toEqual({ 'redis-url': 'redis://cache.internal:6380/0', 'redis-address': 'cache.internal:6380', 'redis-username': '', 'redis-password': 'pw123' });
    for (const t of allTriggers(objects)) {
      expect(t.metadata.address).toBeUndefined();
      expect(t.metadata).toMatchObject({ databaseIndex: '0', enableTLS: 'false' });
    }
    expect(find(objects, 'StatefulSet', 'rel-pca-agent-redis')).toBeUndefined();
  });

  test('external Redis with a user, a percent-encoded password, no port, a database index and rediss://', () => {
    const objects = render([...KEDA, '--set', 'redis.enabled=false', '--set-string', 'externalRedis.url=rediss://app:p%40ss%3Aw%2Frd%25x@redis.example/3']);
    expect(externalSecret(objects)).toEqual({
      'redis-url': 'rediss://redis.example:6379/3',
      'redis-address': 'redis.example:6379',
      'redis-username': 'app',
      'redis-password': 'p@ss:w/rd%x',
    });
    for (const t of allTriggers(objects)) expect(t.metadata).toMatchObject({ databaseIndex: '3', enableTLS: 'true' });
    // The app gets the credentials as they are, never spliced into a URL.
    const env = (find(objects, 'Deployment', 'rel-pca-agent-worker') as any).spec.template.spec.containers[0].env as any[];
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.REDIS_URL.valueFrom.secretKeyRef).toEqual({ name: 'rel-pca-agent-external-redis', key: 'redis-url' });
    expect(byName.REDIS_USERNAME.valueFrom.secretKeyRef).toMatchObject({ key: 'redis-username' });
    expect(byName.REDIS_PASSWORD.valueFrom.secretKeyRef).toMatchObject({ key: 'redis-password' });
  });

  test('external Redis URLs the chart cannot use fail with a message naming the value', () => {
    for (const [url, message] of [
      ['redis://cache.internal/notadb', /database index/],
      ['redis://u:%E2%82%AC@cache.internal', /only ASCII percent-escapes/],
    ] as const) {
      expect(() => render(['--set', 'redis.enabled=false', '--set-string', `externalRedis.url=${url}`])).toThrow(message);
    }
  });

  test('external Redis from an existingSecret: database and TLS for KEDA come from values', () => {
    const objects = render([...KEDA, '--set', 'redis.enabled=false', '--set', 'externalRedis.existingSecret=my-redis', '--set', 'externalRedis.database=2', '--set', 'externalRedis.tls=true']);
    expect(find(objects, 'Secret', 'rel-pca-agent-external-redis')).toBeUndefined();
    for (const t of allTriggers(objects)) expect(t.metadata).toMatchObject({ databaseIndex: '2', enableTLS: 'true' });
    const ta = find(objects, 'TriggerAuthentication', 'rel-pca-agent-worker-redis') as any;
    expect(new Set(ta.spec.secretTargetRef.map((r: any) => r.name))).toEqual(new Set(['my-redis']));
  });

  test('the active triggers follow the concurrency of each queue, per-queue overrides included', () => {
    const objects = render([...KEDA, '--set', 'worker.concurrency=6', '--set', 'worker.queueConcurrency.uploads=1']);
    const lengths = Object.fromEntries(activeTriggers(objects).map((t) => [t.name, t.metadata.listLength]));
    expect(lengths).toEqual({ 'queue-reports-active': '4', 'queue-uploads-active': '1', 'queue-maintenance-active': '1' });
    for (const t of triggers(objects)) expect(t.metadata.listLength).toBe('10');
  });

  test.each([
    [[]],
    [['worker.concurrency=6', 'worker.queueConcurrency.uploads=2']],
    [['worker.concurrency=8', 'worker.queueConcurrency.reports=3', 'worker.queueConcurrency.maintenance=2']],
    [['worker.concurrency=5', 'worker.queues={reports,uploads}']],
    [['worker.concurrency=2', 'worker.queues={reports}']],
  ])('the active listLength per queue is the share the worker itself computes from the same values: %j', (sets) => {
    const objects = render([...KEDA, ...sets.flatMap((s) => ['--set', s])]);
    const cm = (find(objects, 'ConfigMap', 'rel-pca-agent-config') as any).data as Record<string, string>;
    const plan = concurrencyPlan(loadConfig({ ...cm, REDIS_URL: 'redis://127.0.0.1:6379' }));
    const lengths = Object.fromEntries(activeTriggers(objects).map((t) => [String(t.name).replace(/^queue-|-active$/g, ''), Number(t.metadata.listLength)]));
    for (const q of QUEUE_NAMES) if (!cm.WORKER_QUEUES || cm.WORKER_QUEUES.split(',').includes(q)) expect({ q, length: lengths[q] }).toEqual({ q, length: plan[q] });
  });

  test('autoscaling disabled: fixed replicas, neither ScaledObject nor HPA', () => {
    for (const extra of [[], KEDA]) {
      const objects = render([...extra, '--set', 'worker.autoscaling.enabled=false', '--set', 'worker.replicaCount=3']);
      expect(kinds(objects)).toEqual(['Deployment', 'Service']);
      expect((find(objects, 'Deployment', 'rel-pca-agent-worker') as any).spec.replicas).toBe(3);
    }
  });
});

describe('KEDA list names are the keys BullMQ really uses (real Redis)', () => {
  const prefix = testPrefix('chart-keda');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const queues: Queue[] = [];
  // BullMQ does not close connections it is given.
  const connections: Redis[] = [];

  afterAll(async () => {
    for (const q of queues) await q.close();
    await Promise.all(connections.map((c) => c.quit()));
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  test('one trigger per queue of the contract, each listName = waitListKey(bullPrefix(redisKeyPrefix), queue)', () => {
    const names = triggers(render([...KEDA, '--set', `redisKeyPrefix=${prefix}`])).map((t) => t.metadata.listName);
    expect(names).toEqual(QUEUE_NAMES.map((q) => waitListKey(bullPrefix(prefix), q)));
  });

  test('a job added with BullMQ lands in exactly the list the rendered ScaledObject watches', async () => {
    const listNames = triggers(render([...KEDA, '--set', `redisKeyPrefix=${prefix}`])).map((t) => t.metadata.listName as string);
    for (const [i, queueName] of QUEUE_NAMES.entries()) {
      const connection = redis.duplicate();
      connections.push(connection);
      const q = new Queue(queueName, { connection, prefix: bullPrefix(prefix) });
      queues.push(q);
      await q.add(QUEUES[queueName][0], {});
      // After adding to queue i, queues 0..i hold one waiting job each and the rest none.
      for (const [j, list] of listNames.entries()) expect({ list, llen: await redis.llen(list) }).toEqual({ list, llen: j <= i ? 1 : 0 });
    }
  });

  test('a running job sits in exactly the active list the rendered ScaledObject watches, so KEDA keeps a replica', async () => {
    const objects = render([...KEDA, '--set', `redisKeyPrefix=${prefix}-active`]);
    const lists = activeTriggers(objects).map((t) => t.metadata.listName as string);
    expect(lists).toEqual(QUEUE_NAMES.map((q) => activeListKey(bullPrefix(`${prefix}-active`), q)));
    const queueName = QUEUE_NAMES[0]!;
    const queueConnection = new Redis(REDIS_URL);
    const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const q = new Queue(queueName, { connection: queueConnection, prefix: bullPrefix(`${prefix}-active`) });
    await q.add(QUEUES[queueName][0], {});
    const worker = new Worker(queueName, null, { connection: workerConnection, prefix: bullPrefix(`${prefix}-active`), autorun: false });
    try {
      const job = await worker.getNextJob('token-1');
      expect(job).toBeDefined();
      expect(await redis.llen(lists[0]!)).toBe(1);
      await job.moveToCompleted('done', 'token-1', false);
      expect(await redis.llen(lists[0]!)).toBe(0);
    } finally {
      await worker.close();
      await q.close();
      await Promise.all([queueConnection.quit(), workerConnection.quit()]);
      await deleteByPrefix(redis, `${prefix}-active`);
    }
  });
});
