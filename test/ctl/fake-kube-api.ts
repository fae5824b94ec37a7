import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A local HTTP server that answers the Kubernetes API paths the ctl calls, from objects it holds in
 * memory. It is not a cluster: nothing reconciles, except the small Job behaviour a test asks for.
 */
export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; uid?: string; creationTimestamp?: string; [k: string]: unknown };
  [k: string]: unknown;
};

const ROUTES: Array<{ re: RegExp; kind: string; list: string }> = [
  { re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments(?:\/([^/]+))?$/, kind: 'Deployment', list: 'DeploymentList' },
  { re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/statefulsets(?:\/([^/]+))?$/, kind: 'StatefulSet', list: 'StatefulSetList' },
  { re: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/cronjobs(?:\/([^/]+))?$/, kind: 'CronJob', list: 'CronJobList' },
  { re: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/, kind: 'Job', list: 'JobList' },
  { re: /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/, kind: 'Pod', list: 'PodList' },
  { re: /^\/api\/v1\/namespaces\/([^/]+)\/services(?:\/([^/]+))?$/, kind: 'Service', list: 'ServiceList' },
  // Services of every namespace (no namespace group: the filter below takes all).
  { re: /^\/api\/v1\/services$/, kind: 'Service', list: 'ServiceList' },
  { re: /^\/apis\/keda\.sh\/v1alpha1\/namespaces\/([^/]+)\/scaledobjects(?:\/([^/]+))?$/, kind: 'ScaledObject', list: 'ScaledObjectList' },
  { re: /^\/apis\/autoscaling\/v2\/namespaces\/([^/]+)\/horizontalpodautoscalers(?:\/([^/]+))?$/, kind: 'HorizontalPodAutoscaler', list: 'HorizontalPodAutoscalerList' },
];

export function matchesSelector(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels?.[k as string] === v;
  });
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body?: K8sObject;
}

/** What a created Job does next: the fake plays the Job controller for `run --wait`. */
export type JobScript = { outcome: 'succeed' | 'fail' | 'hang'; logs: string; afterPolls?: number };

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly objects: K8sObject[] = [];
  private readonly failures: Array<{ path: RegExp; status: number; reason: string; message: string }> = [];
  private readonly logs = new Map<string, string>();
  private readonly jobPolls = new Map<string, number>();
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
    return o;
  }

  list(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  /** Answer `status` with a Kubernetes Status body for requests whose path matches. */
  fail(path: RegExp, status: number, reason: string, message: string): void {
    this.failures.push({ path, status, reason, message });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.send(res, 500, { kind: 'Status', status: 'Failure', code: 500, message: String(err) }));
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
    this.dir ??= mkdtempSync(join(tmpdir(), 'pca-ctl-'));
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
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as K8sObject) : undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body });

    const failure = this.failures.find((f) => f.path.test(url.pathname));
    if (failure) {
      return this.send(res, failure.status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: failure.reason, code: failure.status, message: failure.message });
    }
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log) return this.send(res, 200, this.logs.get(log[2] as string) ?? '', 'text/plain');

    for (const route of ROUTES) {
      const m = route.re.exec(url.pathname);
      if (!m) continue;
      if (route.kind === 'ScaledObject' && !this.kedaInstalled) break;
      const [, namespace, name] = m;
      const inNs = this.objects.filter((o) => o.kind === route.kind && (namespace === undefined || o.metadata?.namespace === namespace));
      if (req.method === 'POST' && !name && body) {
        if (inNs.some((o) => o.metadata?.name === body.metadata?.name)) {
          return this.send(res, 409, { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: `${route.kind} "${body.metadata?.name}" already exists` });
        }
        const created = this.add({ ...body, metadata: { ...body.metadata, namespace }, status: {} });
        return this.send(res, 201, created);
      }
      if (name) {
        const found = inNs.find((o) => o.metadata?.name === name);
        if (!found) return this.send(res, 404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: `${route.kind.toLowerCase()}s "${name}" not found` });
        if (route.kind === 'Job') this.advanceJob(found);
        return this.send(res, 200, found);
      }
      const items = inNs.filter((o) => matchesSelector(o.metadata?.labels, url.searchParams.get('labelSelector')));
      return this.send(res, 200, { kind: route.list, apiVersion: route.kind === 'Pod' || route.kind === 'Service' ? 'v1' : undefined, metadata: { resourceVersion: '1' }, items });
    }
    return this.send(res, 404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: `the server could not find the requested resource (${url.pathname})` });
  }

  /** The Job controller in one step: after `afterPolls` reads, the Job finishes and leaves a pod with logs. */
  private advanceJob(job: K8sObject): void {
    const name = job.metadata!.name!;
    const polls = (this.jobPolls.get(name) ?? 0) + 1;
    this.jobPolls.set(name, polls);
    const { outcome, logs, afterPolls = 1 } = this.jobScript;
    if (outcome === 'hang' || polls < afterPolls || (job.status as { conditions?: unknown[] } | undefined)?.conditions) return;
    job.status = {
      conditions:
        outcome === 'succeed'
          ? [{ type: 'Complete', status: 'True' }]
          : [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
    };
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
