import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Kinds the chart renders, by group/version, so helm can map every object to a REST resource. */
const RESOURCES: Record<string, { name: string; kind: string }[]> = {
  v1: [
    { name: 'secrets', kind: 'Secret' },
    { name: 'configmaps', kind: 'ConfigMap' },
    { name: 'services', kind: 'Service' },
    { name: 'serviceaccounts', kind: 'ServiceAccount' },
    { name: 'pods', kind: 'Pod' },
    { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim' },
  ],
  'apps/v1': [
    { name: 'deployments', kind: 'Deployment' },
    { name: 'statefulsets', kind: 'StatefulSet' },
  ],
  'batch/v1': [{ name: 'cronjobs', kind: 'CronJob' }],
  'autoscaling/v2': [{ name: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler' }],
  'policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget' }],
  'networking.k8s.io/v1': [
    { name: 'networkpolicies', kind: 'NetworkPolicy' },
    { name: 'ingresses', kind: 'Ingress' },
  ],
};

export interface StoredSecret {
  readonly name: string;
  readonly data: Record<string, string>;
}

/**
 * A fake Kubernetes API server: just enough discovery for helm, GET of the Secrets it stores (what
 * the chart's `lookup` asks for), 404 for everything else. It records every request path.
 */
export class FakeKubeApi {
  readonly requests: string[] = [];
  private readonly secrets = new Map<string, StoredSecret>();
  private server?: Server;
  kubeconfig = '';

  constructor(
    private readonly namespace: string,
    private readonly release: string,
  ) {}

  storeSecret(secret: StoredSecret): void {
    this.secrets.set(secret.name, secret);
  }

  clearSecrets(): void {
    this.secrets.clear();
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      this.requests.push(`${req.method} ${path}`);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/version') return json(200, { major: '1', minor: '31', gitVersion: 'v1.31.0', platform: 'linux/amd64' });
      if (path === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (path === '/apis') {
        const groups = Object.keys(RESOURCES)
          .filter((gv) => gv.includes('/'))
          .map((gv) => {
            const [group, version] = gv.split('/') as [string, string];
            const v = { groupVersion: gv, version };
            return { name: group, versions: [v], preferredVersion: v };
          });
        return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      }
      const gv = path === '/api/v1' ? 'v1' : path.startsWith('/apis/') && path.split('/').length === 4 ? path.slice(6) : undefined;
      if (gv && RESOURCES[gv]) {
        return json(200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: gv,
          resources: RESOURCES[gv].map((r) => ({ ...r, singularName: r.kind.toLowerCase(), namespaced: true, verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] })),
        });
      }
      const m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/);
      const secret = m && m[1] === this.namespace ? this.secrets.get(m[2] ?? '') : undefined;
      if (req.method === 'GET' && secret) {
        // Owned by the release, as a Secret the first install created would be.
        const metadata = {
          name: secret.name,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { 'meta.helm.sh/release-name': this.release, 'meta.helm.sh/release-namespace': this.namespace },
        };
        return json(200, { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data: secret.data });
      }
      return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'pca-fake-kube-'));
    this.kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      this.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: fake, user: {token: fake}}]',
        `contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: ${this.namespace}}}]`,
        'current-context: fake',
        '',
      ].join('\n'),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
