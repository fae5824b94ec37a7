import { CHART_DIR, find, helmAsync, parseManifests } from './helm';
import { FakeKubeApi } from '../helpers/fake-kube-api';

const NS = 'pca';
const api = new FakeKubeApi();
let kubeconfig: string;

beforeAll(async () => {
  await api.start();
  kubeconfig = api.writeKubeconfig({ namespace: NS });
});
afterAll(() => api.stop());

/** A Secret as the first install of release `rel` left it: owned by the release. */
const storeSecret = (name: string, data: Record<string, string>) =>
  api.put({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace: NS,
      labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': 'rel', 'meta.helm.sh/release-namespace': NS },
    },
    data,
  });

/** `helm template --dry-run=server` runs `lookup` against the (fake) cluster, as `helm upgrade` does. */
async function renderAgainstCluster(extra: string[] = []) {
  const r = await helmAsync([
    'template', 'rel', CHART_DIR, '--namespace', NS, '--dry-run=server', '--disable-openapi-validation',
    '--kubeconfig', kubeconfig, ...extra,
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  return parseManifests(r.stdout);
}

const data = (objects: ReturnType<typeof parseManifests>, name: string) =>
  (find(objects, 'Secret', name) as unknown as { data: Record<string, string> } | undefined)?.data;

describe('generated Secrets under upgrade (fake Kubernetes API server answering helm lookup)', () => {
  test('first install generates credentials; an upgrade keeps the stored ones byte for byte', async () => {
    api.remove('Secret');
    const first = await renderAgainstCluster();
    const auth = data(first, 'rel-pca-agent-auth');
    const redis = data(first, 'rel-pca-agent-redis');
    const dash = data(first, 'rel-pca-agent-dashboard');
    expect(auth?.API_KEYS).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
    expect(Buffer.from(redis!['redis-password']!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(Buffer.from(dash!.DASHBOARD_PASSWORD!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{24}$/);

    // A second install without the Secrets in the cluster would generate new random values...
    expect(data(await renderAgainstCluster(), 'rel-pca-agent-redis')).not.toEqual(redis);

    // ...but once the first install's Secrets exist, the upgrade render reads and keeps them.
    storeSecret('rel-pca-agent-auth', auth!);
    storeSecret('rel-pca-agent-redis', redis!);
    storeSecret('rel-pca-agent-dashboard', dash!);
    for (let i = 0; i < 2; i++) {
      const upgrade = await renderAgainstCluster(['--set', 'api.replicaCount=3']);
      expect(data(upgrade, 'rel-pca-agent-auth')).toEqual(auth);
      expect(data(upgrade, 'rel-pca-agent-redis')).toEqual(redis);
      expect(data(upgrade, 'rel-pca-agent-dashboard')).toEqual(dash);
    }
    expect(api.requests).toContainEqual(expect.objectContaining({ method: 'GET', path: `/api/v1/namespaces/${NS}/secrets/rel-pca-agent-redis` }));
  });

  test('values given explicitly win over stored ones', async () => {
    storeSecret('rel-pca-agent-redis', { 'redis-password': Buffer.from('old').toString('base64') });
    const objects = await renderAgainstCluster(['--set', 'redis.password=newpassword123', '--set', 'auth.apiKeys={key-aaaaaaaaaaaaaaaa,key-bbbbbbbbbbbbbbbb}']);
    expect(Buffer.from(data(objects, 'rel-pca-agent-redis')!['redis-password']!, 'base64').toString()).toBe('newpassword123');
    expect(Buffer.from(data(objects, 'rel-pca-agent-auth')!.API_KEYS!, 'base64').toString()).toBe('key-aaaaaaaaaaaaaaaa,key-bbbbbbbbbbbbbbbb');
  });

  test('with existingSecret the chart creates no Secret and points the pods at the given one', async () => {
    const objects = await renderAgainstCluster(['--set', 'auth.existingSecret=my-auth', '--set', 'redis.existingSecret=my-redis']);
    expect(find(objects, 'Secret', 'rel-pca-agent-auth')).toBeUndefined();
    expect(find(objects, 'Secret', 'rel-pca-agent-redis')).toBeUndefined();
    const api = find(objects, 'Deployment', 'rel-pca-agent-api') as any;
    const env = api.spec.template.spec.containers[0].env as { name: string; valueFrom?: any }[];
    expect(env.find((e) => e.name === 'API_KEYS')?.valueFrom.secretKeyRef.name).toBe('my-auth');
    expect(env.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom.secretKeyRef.name).toBe('my-redis');
  });
});
