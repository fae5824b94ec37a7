import { join } from 'node:path';
import { loadConfig } from '../../services/src/config/env';
import { bullPrefix } from '../../services/src/lib/keys';
import { activeListKey, QUEUE_NAMES, waitListKey } from '../../services/src/queues/contract';
import { CHART_DIR, find, render, scenarios, valuesFile, type K8sObject } from './helm';

const KEDA = ['--api-versions', 'keda.sh/v1alpha1/ScaledObject'];
const TLS_AUTH = ['tls', 'ca', 'cert', 'key'];

/**
 * What KEDA's three Redis lists scalers read (keda.sh/docs/2.13+/scalers/redis-lists, redis-sentinel-lists,
 * redis-cluster-lists): trigger metadata is a free string map in the CRD, so a misspelt or wrong-type
 * parameter only shows up as a scaler that never scales. Checked here instead.
 */
const SCALERS: Record<string, { metadata: string[]; auth: string[]; required: string[][] }> = {
  redis: {
    metadata: ['address', 'host', 'port', 'listName', 'listLength', 'activationListLength', 'databaseIndex', 'enableTLS', 'unsafeSsl'],
    auth: ['address', 'host', 'port', 'username', 'password', ...TLS_AUTH],
    required: [['listName'], ['listLength'], ['address', 'host']],
  },
  'redis-sentinel': {
    metadata: ['addresses', 'hosts', 'ports', 'sentinelMaster', 'sentinelUsername', 'listName', 'listLength', 'activationListLength', 'databaseIndex', 'enableTLS', 'unsafeSsl'],
    auth: ['addresses', 'hosts', 'ports', 'username', 'password', 'sentinelUsername', 'sentinelPassword', 'sentinelMaster', ...TLS_AUTH],
    required: [['listName'], ['listLength'], ['addresses', 'hosts'], ['sentinelMaster']],
  },
  'redis-cluster': {
    metadata: ['addresses', 'hosts', 'ports', 'listName', 'listLength', 'activationListLength', 'enableTLS', 'unsafeSsl'],
    auth: ['addresses', 'hosts', 'ports', 'username', 'password', ...TLS_AUTH],
    required: [['listName'], ['listLength'], ['addresses', 'hosts']],
  },
  // The pending-work triggers (#20): the API's count of prioritized and due delayed jobs; no Redis auth.
  'metrics-api': {
    metadata: ['url', 'format', 'valueLocation', 'targetValue', 'activationTargetValue', 'unsafeSsl', 'authMode'],
    auth: [],
    required: [['url'], ['valueLocation'], ['targetValue']],
  },
};

interface Trigger {
  type: string;
  name: string;
  metadata: Record<string, unknown>;
  authenticationRef?: { name: string };
}

function kedaParts(objects: K8sObject[]): { triggers: Trigger[]; auth: { parameter: string }[]; prefix: string } {
  const so = find(objects, 'ScaledObject', 'rel-pca-agent-worker') as any;
  const ta = find(objects, 'TriggerAuthentication', 'rel-pca-agent-worker-redis') as any;
  const cm = find(objects, 'ConfigMap', 'rel-pca-agent-config') as any;
  return { triggers: so.spec.triggers, auth: ta.spec.secretTargetRef, prefix: cm.data.REDIS_KEY_PREFIX };
}

/** Problems of one rendered KEDA setup against the scaler's parameters and the queue contract. */
function triggerProblems(objects: K8sObject[]): string[] {
  const { triggers, auth, prefix } = kedaParts(objects);
  const out: string[] = [];
  const authParams = auth.map((a) => a.parameter);
  const expectedLists = QUEUE_NAMES.flatMap((q) => [waitListKey(bullPrefix(prefix), q), activeListKey(bullPrefix(prefix), q)]);
  const lists = triggers.filter((t) => t.type !== 'metrics-api').map((t) => t.metadata.listName);
  if (JSON.stringify(lists) !== JSON.stringify(expectedLists)) out.push(`list names ${JSON.stringify(lists)}`);
  for (const t of triggers) {
    const scaler = SCALERS[t.type];
    if (!scaler) {
      out.push(`${t.name}: unknown trigger type ${t.type}`);
      continue;
    }
    for (const [k, v] of Object.entries(t.metadata)) {
      if (!scaler.metadata.includes(k)) out.push(`${t.name}: ${t.type} has no metadata ${k}`);
      if (typeof v !== 'string') out.push(`${t.name}: metadata ${k} is ${typeof v}, KEDA wants a string`);
    }
    const params = t.authenticationRef ? authParams : [];
    if (t.type === 'metrics-api' && t.authenticationRef) out.push(`${t.name}: the pending-work endpoint takes no Redis credentials`);
    for (const p of params) if (!scaler.auth.includes(p)) out.push(`${t.name}: ${t.type} takes no authentication parameter ${p}`);
    for (const anyOf of scaler.required) if (!anyOf.some((k) => k in t.metadata || params.includes(k))) out.push(`${t.name}: ${t.type} needs ${anyOf.join(' or ')}`);
    // KEDA's parseTLSConfigIntoConnectionInfo: `tls` in the TriggerAuthentication together with enableTLS "true" is
    // an error, and ca/cert/key are read only when TLS is on (else silently ignored).
    const tlsMeta = t.metadata.enableTLS === 'true';
    if (tlsMeta && params.includes('tls')) out.push(`${t.name}: tls in the TriggerAuthentication and enableTLS in the trigger`);
    const material = params.filter((p) => ['ca', 'cert', 'key'].includes(p));
    if (material.length && !tlsMeta && !params.includes('tls')) out.push(`${t.name}: ${material.join(', ')} given but TLS is off, so KEDA ignores them`);
  }
  return out;
}

/** Every pod spec that runs an app container (Deployments, CronJobs, the helm test Pod), by object name. */
function appPods(objects: K8sObject[]): [string, any][] {
  return objects
    .map((o: any) => [o.metadata.name, o.spec?.jobTemplate?.spec?.template?.spec ?? o.spec?.template?.spec ?? (o.kind === 'Pod' ? o.spec : undefined)] as [string, any])
    .filter(([, spec]) => spec?.containers?.[0]?.env?.some((e: any) => e.name === 'REDIS_URL'));
}

const scenario = (name: string) => ['-f', join(CHART_DIR, 'ci', `${name}-values.yaml`)];
const envOf = (objects: K8sObject[], deployment: string) =>
  Object.fromEntries(((find(objects, 'Deployment', deployment) as any).spec.template.spec.containers[0].env as any[]).map((e) => [e.name, e]));

describe('KEDA triggers for single, sentinel and cluster Redis', () => {
  const rendered = scenarios().map((s) => ({ name: s.name, objects: render([...s.args, ...KEDA]) }));

  test.each(rendered.filter((r) => find(r.objects, 'ScaledObject', 'rel-pca-agent-worker')).map((r) => [r.name, r.objects] as const))(
    'every trigger has its scaler\'s parameters only, the required ones, and the contract\'s list names: %s',
    (_name, objects) => {
      expect(triggerProblems(objects)).toEqual([]);
    },
  );

  test('the ci/ scenarios cover all three trigger types', () => {
    const types = new Set(rendered.flatMap((r) => (find(r.objects, 'ScaledObject', 'rel-pca-agent-worker') ? kedaParts(r.objects).triggers.map((t) => t.type) : [])));
    expect([...types].sort()).toEqual(['metrics-api', 'redis', 'redis-cluster', 'redis-sentinel']);
  });

  test('the check catches a wrong parameter, a missing sentinelMaster and a list name off the contract', () => {
    const objects = render([...scenario('external-redis-sentinel'), ...KEDA]);
    const so = find(objects, 'ScaledObject', 'rel-pca-agent-worker') as any;
    so.spec.triggers[0].metadata.address = 'x:26379';
    delete so.spec.triggers[1].metadata.sentinelMaster;
    so.spec.triggers[2].metadata.listName = 'pca:reports:wait';
    expect(triggerProblems(objects)).toEqual([
      expect.stringContaining('list names'),
      'queue-reports: redis-sentinel has no metadata address',
      'queue-reports-active: redis-sentinel needs sentinelMaster',
    ]);
  });

  test('the check catches TLS material KEDA would ignore and tls given twice', () => {
    const objects = render([...scenario('external-redis-sentinel'), ...KEDA]);
    const so = find(objects, 'ScaledObject', 'rel-pca-agent-worker') as any;
    const ta = find(objects, 'TriggerAuthentication', 'rel-pca-agent-worker-redis') as any;
    so.spec.triggers[0].metadata.enableTLS = 'false';
    ta.spec.secretTargetRef = ta.spec.secretTargetRef.filter((r: any) => r.parameter !== 'ca');
    ta.spec.secretTargetRef.push({ parameter: 'tls', name: 'x', key: 'tls' });
    const problems = triggerProblems(objects).filter((p) => !p.startsWith('queue-reports:'));
    expect(problems).toContain('queue-reports-active: tls in the TriggerAuthentication and enableTLS in the trigger');
    ta.spec.secretTargetRef = [...ta.spec.secretTargetRef.filter((r: any) => r.parameter !== 'tls'), { parameter: 'ca', name: 'x', key: 'ca.crt' }];
    expect(triggerProblems(objects)).toEqual(['queue-reports: ca given but TLS is off, so KEDA ignores them']);
  });

  test('a private CA from externalRedis.caSecret: every app pod mounts it as REDIS_TLS_CA_FILE, KEDA gets it as ca with TLS on', () => {
    const objects = render([...scenario('external-redis-sentinel'), ...KEDA]);
    const pods = appPods(objects);
    expect(pods.map(([name]) => name).sort()).toEqual(expect.arrayContaining(['rel-pca-agent-api', 'rel-pca-agent-worker', 'rel-pca-agent-dashboard', 'rel-pca-agent-smoke-test']));
    expect(pods.some(([name]) => /backup-data/.test(name))).toBe(true);
    for (const [name, spec] of pods) {
      const c = spec.containers[0];
      const env = Object.fromEntries((c.env as any[]).map((e) => [e.name, e]));
      const mount = (c.volumeMounts as any[]).find((m) => m.name === 'redis-ca');
      const volume = (spec.volumes as any[]).find((vol) => vol.name === 'redis-ca');
      expect({ name, file: env.REDIS_TLS_CA_FILE?.value, mount, volume }).toEqual({
        name,
        file: '/etc/pca-agent/redis-ca/ca.crt',
        mount: { name: 'redis-ca', mountPath: '/etc/pca-agent/redis-ca', readOnly: true },
        volume: { name: 'redis-ca', secret: { secretName: 'cache-redis-crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      });
    }
    const { auth, triggers } = kedaParts(objects);
    expect(auth).toContainEqual({ parameter: 'ca', name: 'cache-redis-crt', key: 'ca.crt' });
    for (const t of triggers.filter((x) => x.type !== 'metrics-api')) expect(t.metadata.enableTLS).toBe('true');
    expect(triggerProblems(objects)).toEqual([]);
  });

  test('a CA turns TLS on for KEDA as it does for the app, also with a redis:// URL; without one nothing is mounted', () => {
    const ext = ['--set', 'redis.enabled=false', '--set', 'externalRedis.url=redis://:pw@cache.internal:6379/0', ...KEDA];
    const withSecret = render([...ext, '--set', 'externalRedis.caSecret.name=redis-ca', '--set', 'externalRedis.caSecret.key=root.pem']);
    expect(kedaParts(withSecret).triggers[0]!.metadata.enableTLS).toBe('true');
    expect(kedaParts(withSecret).auth).toContainEqual({ parameter: 'ca', name: 'redis-ca', key: 'root.pem' });
    expect(triggerProblems(withSecret)).toEqual([]);
    const env = envOf(withSecret, 'rel-pca-agent-worker');
    expect(loadConfig({ REDIS_URL: 'redis://cache.internal:6379/0', REDIS_TLS_CA_FILE: env.REDIS_TLS_CA_FILE.value }).REDIS_TLS_CA_FILE).toBe('/etc/pca-agent/redis-ca/ca.crt');
    // caFile (mounted by the user): TLS on for KEDA too, with the system CAs (KEDA cannot read the pod's file).
    const withFile = render([...ext, '--set', 'externalRedis.caFile=/certs/ca.pem']);
    expect(kedaParts(withFile).triggers[0]!.metadata.enableTLS).toBe('true');
    expect(kedaParts(withFile).auth.map((a) => a.parameter)).not.toContain('ca');
    const plain = render(ext);
    expect(kedaParts(plain).triggers[0]!.metadata.enableTLS).toBe('false');
    for (const [, spec] of appPods(plain)) expect(JSON.stringify(spec)).not.toContain('redis-ca');
  });

  test('sentinels with an ACL user: every app pod gets REDIS_SENTINEL_USERNAME, KEDA its sentinelUsername', () => {
    const objects = render([...scenario('external-redis-sentinel'), ...KEDA, '--set', 'externalRedis.sentinel.username=sentinel-reader']);
    for (const [, spec] of appPods(objects)) {
      const env = Object.fromEntries((spec.containers[0].env as any[]).map((e) => [e.name, e]));
      expect(env.REDIS_SENTINEL_USERNAME).toEqual({ name: 'REDIS_SENTINEL_USERNAME', value: 'sentinel-reader' });
    }
    for (const t of kedaParts(objects).triggers.filter((x) => x.type === 'redis-sentinel')) expect(t.metadata.sentinelUsername).toBe('sentinel-reader');
    expect(triggerProblems(objects)).toEqual([]);
    const without = render([...scenario('external-redis-sentinel'), ...KEDA]);
    expect(envOf(without, 'rel-pca-agent-api').REDIS_SENTINEL_USERNAME).toBeUndefined();
    expect(kedaParts(without).triggers[0]!.metadata.sentinelUsername).toBeUndefined();
  });

  test('sentinel: every app pod gets the sentinels, the master set and the sentinel password; KEDA gets the sentinel password too', () => {
    const objects = render([...scenario('external-redis-sentinel'), ...KEDA]);
    for (const d of ['rel-pca-agent-api', 'rel-pca-agent-worker', 'rel-pca-agent-dashboard']) {
      const env = envOf(objects, d);
      expect(env.REDIS_SENTINELS.value).toBe('cache-redis-node-0.cache-redis-headless:26379,cache-redis-node-1.cache-redis-headless:26379,cache-redis-node-2.cache-redis-headless:26379');
      expect(env.REDIS_SENTINEL_NAME.value).toBe('mymaster');
      expect(env.REDIS_SENTINEL_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'cache-redis', key: 'redis-password' });
      expect(env.REDIS_CLUSTER_NODES).toBeUndefined();
    }
    expect(kedaParts(objects).auth).toContainEqual({ parameter: 'sentinelPassword', name: 'cache-redis', key: 'redis-password' });
    // The sentinels' port is open in the egress policy.
    const egressPorts = ((find(objects, 'NetworkPolicy', 'rel-pca-agent-api-netpol') as any).spec.egress as any[]).flatMap((e) => (e.ports ?? []).map((p: any) => p.port));
    expect(egressPorts).toEqual(expect.arrayContaining([6379, 26379]));
  });

  test('cluster: the app gets the nodes and a configuration it accepts; no database index for KEDA', () => {
    const objects = render([...scenario('external-redis-cluster'), ...KEDA]);
    const env = envOf(objects, 'rel-pca-agent-worker');
    expect(env.REDIS_CLUSTER_NODES.value).toBe('pca-0001-001.pca.example.cache.amazonaws.com:6379,pca-0002-001.pca.example.cache.amazonaws.com:6379,pca-0003-001.pca.example.cache.amazonaws.com:6379');
    expect(env.REDIS_SENTINELS).toBeUndefined();
    const secret = find(objects, 'Secret', 'rel-pca-agent-external-redis') as any;
    const redisUrl = Buffer.from(secret.data['redis-url'], 'base64').toString();
    const cfg = loadConfig({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: kedaParts(objects).prefix, REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES.value });
    expect(cfg.REDIS_KEY_PREFIX).toBe('{pca}');
    expect(kedaParts(objects).triggers[0]!.metadata).toMatchObject({ enableTLS: 'true', listName: '{pca}:bull:reports:wait' });
  });

  test('combinations that cannot work fail at template time, naming the values', () => {
    const ext = ['--set', 'redis.enabled=false', '--set', 'externalRedis.url=redis://:pw@r:6379/0'];
    const cases: [string[], RegExp][] = [
      [[...ext, '--set', 'externalRedis.sentinel.enabled=true'], /externalRedis.sentinel.enabled: set externalRedis.sentinel.hosts/],
      [[...ext, '--set', 'externalRedis.cluster.enabled=true', '--set', 'externalRedis.cluster.nodes={r:6379}'], /redisKeyPrefix "pca" has no hash tag/],
      [[...ext, '--set', 'externalRedis.sentinel.hosts={s:26379}'], /externalRedis.sentinel.hosts is set \(s:26379\) but externalRedis.sentinel.enabled is false/],
      [['--set', 'externalRedis.sentinel.enabled=true', '--set', 'externalRedis.sentinel.hosts={s:26379}'], /redis.enabled is true/],
      [[...ext, '--set', 'externalRedis.sentinel.enabled=true', '--set', 'externalRedis.sentinel.hosts={s:26379}', '--set', 'externalRedis.cluster.enabled=true', '--set', 'externalRedis.cluster.nodes={r:6379}'], /both true/],
      [['--set', 'redis.enabled=false', '--set', 'externalRedis.url=redis://r:6379/3', ...valuesFile({ redisKeyPrefix: '{pca}' }), '--set', 'externalRedis.cluster.enabled=true', '--set', 'externalRedis.cluster.nodes={r:6379}'], /only database 0, not 3/],
      [[...ext, '--set', 'externalRedis.sentinel.enabled=true', '--set', 'externalRedis.sentinel.hosts={no-port}'], /hosts/],
      [[...ext, '--set', 'externalRedis.caSecret.name=ca', '--set', 'externalRedis.caFile=/c/ca.pem'], /externalRedis.caSecret.name \(ca\) and externalRedis.caFile \(\/c\/ca.pem\) are both set/],
      [['--set', 'externalRedis.caSecret.name=ca'], /externalRedis.caSecret.name is set but redis.enabled is true/],
      [[...ext, '--set', 'externalRedis.sentinel.username=u'], /externalRedis.sentinel.username is set \(u\) but externalRedis.sentinel.enabled is false/],
    ];
    for (const [args, message] of cases) expect(() => render(args)).toThrow(message);
  });
});
