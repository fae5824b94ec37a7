import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};

interface Resource {
  readonly groupVersion: string;
  readonly plural: string;
  readonly kind: string;
}

/** What the fake serves: the kinds the chart renders (helm maps each through discovery) and the ones the ctl reads. */
const RESOURCES: readonly Resource[] = [
  ...['Secret', 'ConfigMap', 'Service', 'ServiceAccount', 'Pod', 'PersistentVolumeClaim'].map((kind) => ({ groupVersion: 'v1', plural: plural(kind), kind })),
  { groupVersion: 'apps/v1', plural: 'deployments', kind: 'Deployment' },
  { groupVersion: 'apps/v1', plural: 'statefulsets', kind: 'StatefulSet' },
  { groupVersion: 'batch/v1', plural: 'cronjobs', kind: 'CronJob' },
  { groupVersion: 'batch/v1', plural: 'jobs', kind: 'Job' },
  { groupVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler' },
  { groupVersion: 'policy/v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget' },
  { groupVersion: 'networking.k8s.io/v1', plural: 'networkpolicies', kind: 'NetworkPolicy' },
  { groupVersion: 'networking.k8s.io/v1', plural: 'ingresses', kind: 'Ingress' },
  { groupVersion: 'keda.sh/v1alpha1', plural: 'scaledobjects', kind: 'ScaledObject' },
  { groupVersion: 'keda.sh/v1alpha1', plural: 'triggerauthentications', kind: 'TriggerAuthentication' },
];

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

const KEDA = 'keda.sh/v1alpha1';

export function matchesSelector(labels: Record<string, string> | undefined, selector: string | null | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels?.[k as string] === v;
  });
}

/** `metadata.name=x` and `metadata.namespace=x`, the field selectors the ctl's informers use. */
function matchesFields(o: K8sObject, selector: string | null | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    if (k === 'metadata.name') return o.metadata?.name === v;
    if (k === 'metadata.namespace') return o.metadata?.namespace === v;
    throw new Error(`the fake API does not know field selector ${k}`);
  });
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body?: K8sObject;
}

/** What a created Job does once someone watches it: the fake plays the Job controller for `run --wait`. */
export type JobScript = { outcome: 'succeed' | 'fail' | 'hang'; logs: string };

interface Query {
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly labelSelector: string | null;
  readonly fieldSelector: string | null;
}

interface Watcher extends Query {
  readonly res: ServerResponse;
}

/**
 * A local HTTP server that answers the Kubernetes API paths helm and the ctl call, from objects it
 * holds in memory: discovery, list (label and field selectors), get, create, watch (newline-delimited
 * JSON events from a resourceVersion), pod logs and port-forward. It is not a cluster: nothing
 * reconciles, except the small Job behaviour a test asks for; tests change objects through `modify()`,
 * which watchers see.
 */
export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly objects: K8sObject[] = [];
  private readonly events: { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: K8sObject }[] = [];
  private readonly watchers = new Set<Watcher>();
  private resourceVersion = 1;
  private readonly failures: Array<{ path: RegExp; status: number; reason: string; message: string }> = [];
  private readonly logs = new Map<string, string>();
  private server?: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  /** Set to false to answer 404 for KEDA's API group, as a cluster without KEDA does. */
  kedaInstalled = true;
  jobScript: JobScript = { outcome: 'succeed', logs: '' };
  /** Answers what a pod's port says over a port-forward tunnel; the default names the pod and port. */
  podHttp: (pod: string, port: number, request: string) => string = (pod, port) => `pod=${pod} port=${port}`;
  private dir?: string;

  constructor(objects: K8sObject[] = []) {
    for (const o of objects) this.add(o);
  }

  add(obj: K8sObject): K8sObject {
    const o = structuredClone(obj);
    o.metadata = { uid: randomUUID(), creationTimestamp: new Date().toISOString(), ...o.metadata };
    this.objects.push(o);
    this.changed('ADDED', o);
    return o;
  }

  /** Adds `obj`, replacing the object of the same kind, namespace and name if there is one. */
  put(obj: K8sObject): K8sObject {
    const i = this.objects.findIndex((o) => o.kind === obj.kind && o.metadata?.namespace === obj.metadata?.namespace && o.metadata?.name === obj.metadata?.name);
    if (i >= 0) this.changed('DELETED', this.objects.splice(i, 1)[0]!);
    return this.add(obj);
  }

  /** Removes every object of `kind`. */
  remove(kind: string): void {
    for (const o of this.list(kind)) {
      this.objects.splice(this.objects.indexOf(o), 1);
      this.changed('DELETED', o);
    }
  }

  /** Changes a stored object (one `add` or `list` returned) as a controller would; watchers get MODIFIED. */
  modify(obj: K8sObject, change: (o: K8sObject) => void): void {
    if (!this.objects.includes(obj)) throw new Error(`modify: ${obj.kind} ${obj.metadata?.name} is not one of the stored objects`);
    change(obj);
    this.changed('MODIFIED', obj);
  }

  list(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  /** How many watches of `kind` are open now. */
  watching(kind: string): number {
    return [...this.watchers].filter((w) => w.kind === kind).length;
  }

  /** Answer `status` with a Kubernetes Status body for requests whose path matches. */
  fail(path: RegExp, status: number, reason: string, message: string): void {
    this.failures.push({ path, status, reason, message });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.send(res, 500, status(500, 'InternalError', String(err))));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** A kubeconfig pointing at this server (plain HTTP needs insecure-skip-tls-verify in client-node). */
  writeKubeconfig(opts: { namespace?: string; context?: string } = {}): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'pca-fake-kube-'));
    const context = opts.context ?? 'kind-pca-agent';
    const file = join(this.dir, `kubeconfig-${context}`);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake`,
        `  cluster: {server: "${this.url}", insecure-skip-tls-verify: true}`,
        'users:',
        '- name: dev',
        '  user: {token: fake-token}',
        'contexts:',
        `- name: ${context}`,
        `  context: {cluster: fake, user: dev${opts.namespace ? `, namespace: ${opts.namespace}` : ''}}`,
        `current-context: ${context}`,
        '',
      ].join('\n'),
    );
    return file;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private changed(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: K8sObject): void {
    o.metadata = { ...o.metadata, resourceVersion: String(++this.resourceVersion) };
    const event = { rv: this.resourceVersion, type, object: structuredClone(o) };
    this.events.push(event);
    for (const w of this.watchers) if (matches(w, o)) w.res.write(`${JSON.stringify({ type, object: event.object })}\n`);
  }

  private send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
    res.writeHead(code, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private served(): readonly Resource[] {
    return RESOURCES.filter((r) => r.groupVersion !== KEDA || this.kedaInstalled);
  }

  /** Discovery, as helm (and kubectl) read it before they map objects to paths. */
  private discovery(path: string): unknown {
    if (path === '/version') return { major: '1', minor: '31', gitVersion: 'v1.31.0', platform: 'linux/amd64' };
    if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    const groupVersions = [...new Set(this.served().map((r) => r.groupVersion))];
    if (path === '/apis') {
      const groups = groupVersions
        .filter((gv) => gv.includes('/'))
        .map((gv) => {
          const [group, version] = gv.split('/') as [string, string];
          const v = { groupVersion: gv, version };
          return { name: group, versions: [v], preferredVersion: v };
        });
      return { kind: 'APIGroupList', apiVersion: 'v1', groups };
    }
    const gv = path === '/api/v1' ? 'v1' : path.startsWith('/apis/') && path.split('/').length === 4 ? path.slice('/apis/'.length) : undefined;
    if (!gv || !groupVersions.includes(gv)) return undefined;
    const resources = this.served()
      .filter((r) => r.groupVersion === gv)
      .map((r) => ({ name: r.plural, kind: r.kind, singularName: r.kind.toLowerCase(), namespaced: true, verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }));
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
  }

  /** `/api/v1[/namespaces/ns]/plural[/name]` or `/apis/group/version[/namespaces/ns]/plural[/name]`. */
  private route(path: string): { resource: Resource; namespace?: string; name?: string } | undefined {
    const m = /^\/(?:api\/v1|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    const [, gv = 'v1', namespace, pluralName, name] = m;
    const resource = this.served().find((r) => r.groupVersion === gv && r.plural === pluralName);
    return resource && { resource, namespace, name };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as K8sObject) : undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body });

    const failure = this.failures.find((f) => f.path.test(url.pathname));
    if (failure) return this.send(res, failure.status, status(failure.status, failure.reason, failure.message));
    const discovered = this.discovery(url.pathname);
    if (discovered) return this.send(res, 200, discovered);
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log) return this.send(res, 200, this.logs.get(log[2] as string) ?? '', 'text/plain');

    const route = this.route(url.pathname);
    if (!route) return this.send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    const { resource, namespace, name } = route;
    const query: Query = { kind: resource.kind, namespace, labelSelector: url.searchParams.get('labelSelector'), fieldSelector: url.searchParams.get('fieldSelector') };
    if (req.method === 'POST' && !name && body) {
      if (this.objects.some((o) => matches({ ...query, labelSelector: null, fieldSelector: null }, o) && o.metadata?.name === body.metadata?.name)) {
        return this.send(res, 409, status(409, 'AlreadyExists', `${resource.kind} "${body.metadata?.name}" already exists`));
      }
      return this.send(res, 201, this.add({ ...body, metadata: { ...body.metadata, namespace }, status: {} }));
    }
    if (name) {
      const found = this.objects.find((o) => matches({ ...query, labelSelector: null, fieldSelector: null }, o) && o.metadata?.name === name);
      if (!found) return this.send(res, 404, status(404, 'NotFound', `${resource.plural} "${name}" not found`));
      return this.send(res, 200, found);
    }
    if (url.searchParams.get('watch') === 'true') return this.watch(query, url.searchParams.get('resourceVersion'), res);
    const items = this.objects.filter((o) => matches(query, o));
    const apiVersion = resource.groupVersion;
    return this.send(res, 200, { kind: `${resource.kind}List`, apiVersion, metadata: { resourceVersion: String(this.resourceVersion) }, items });
  }

  /** Events after `from` (every matching object as ADDED without one), then each change until the client goes. */
  private watch(query: Query, from: string | null, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const since = Number(from ?? '0');
    const backlog =
      since > 0
        ? this.events.filter((e) => e.rv > since && matches(query, e.object))
        : this.objects.filter((o) => matches(query, o)).map((o) => ({ type: 'ADDED' as const, object: o }));
    for (const e of backlog) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const watcher: Watcher = { ...query, res };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
    if (query.kind === 'Job') for (const job of this.objects.filter((o) => matches(query, o))) this.runJob(job);
  }

  /** The Job controller in one step, once the Job is watched: it finishes and leaves a pod with logs. */
  private runJob(job: K8sObject): void {
    const name = job.metadata!.name!;
    const { outcome, logs } = this.jobScript;
    if (outcome === 'hang' || (job.status as { conditions?: unknown[] } | undefined)?.conditions) return;
    const spec = job.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: { containers: unknown[] } } };
    const pod = this.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-q7x2m`,
        namespace: job.metadata!.namespace,
        labels: { ...spec.template.metadata?.labels, 'batch.kubernetes.io/job-name': name, 'job-name': name },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata!.uid }],
      },
      spec: spec.template.spec,
      status: { phase: outcome === 'succeed' ? 'Succeeded' : 'Failed' },
    });
    this.logs.set(pod.metadata!.name!, logs);
    this.modify(job, (j) => {
      j.status = {
        conditions:
          outcome === 'succeed'
            ? [{ type: 'Complete', status: 'True' }]
            : [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
      };
    });
  }

  /** Port-forward over the v4.channel.k8s.io WebSocket protocol: stream 0 data, stream 1 errors, each opened with the port. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const port = Number(url.searchParams.get('ports'));
    this.requests.push({ method: 'WS', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    if (!m) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
      ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
      let request = '';
      ws.on('message', (data: Buffer) => {
        if (data[0] !== 0) return;
        request += data.subarray(1).toString('utf8');
        if (!request.includes('\r\n\r\n')) return;
        const text = this.podHttp(m[2] as string, port, request);
        const response = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`;
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(response)]), () => ws.close());
      });
    });
  }
}

function matches(q: Query, o: K8sObject): boolean {
  return (
    o.kind === q.kind &&
    (q.namespace === undefined || o.metadata?.namespace === q.namespace) &&
    matchesSelector(o.metadata?.labels, q.labelSelector) &&
    matchesFields(o, q.fieldSelector)
  );
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message });
