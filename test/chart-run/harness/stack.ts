import { Redis } from 'ioredis';
import { SERVICE_NAMES } from '../../../services/src/telemetry/service-names';
import { SPAN_KIND, type ReceivedSpan } from '../../helpers/otlp-receiver';
import { waitFor } from '../../helpers/processes';
import { checkVariablesRead } from './app-contract';
import { explainStuckTask } from './diagnose';
import { EgressMonitor } from './egress';
import { containerWhere, expandArgv, resolveEnv, type PodFacts } from './env';
import { containerArgv, localArgv, readImageConfig, type ImageConfig } from './image';
import { Network, type PodNetwork } from './network';
import { waitForProbes, type WaitOptions } from './probes';
import { checkReferences } from './references';
import { checkRoutesToApi, type RouteCheck } from './routes';
import { ContainerProcess } from './process-runner';
import { labelSelectorMatches, type Container, type Release, type Workload, type WorkloadKind } from './release';
import { checkRedisProbes, startExternalRedis, startExternalS3, startStandIn, stopStandIn, type StandIn } from './stand-ins';
import { Volumes } from './volumes';
import { WiringError } from './wiring-error';

export interface StackOptions {
  /** run only these workloads (refs such as `Deployment/rel-pca-agent-api`); default: all */
  readonly only?: readonly string[];
  readonly probes?: WaitOptions;
  /** cap on a job's run time (its activeDeadlineSeconds when lower); default 30 s, tasks take a few */
  readonly jobTimeoutMs?: number;
}

/** A container of the app image, ready to start: argv, cwd and environment as Kubernetes would give them. */
export interface PreparedContainer {
  readonly workload: Workload;
  readonly container: Container;
  readonly where: string;
  /** an init container: runs to exit 0 before the pod's containers start */
  readonly init: boolean;
  /** the argument after main.js: api, worker, dashboard, task, smoke... */
  readonly role: string | undefined;
  readonly argv: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** listen variable → pod-local port and the host port it became */
  readonly listen: Map<string, { podPort: number; hostPort: number }>;
}

export interface RunResult {
  readonly where: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function podFacts(release: Release, w: Workload): PodFacts {
  const name = w.owner.metadata.name;
  const suffix = w.owner.kind === 'StatefulSet' ? '-0' : w.owner.kind === 'Pod' ? '' : '-chartrun-0';
  return { name: `${name}${suffix}`, namespace: release.namespace, ip: '127.0.0.1', nodeName: 'chart-run' };
}

/** One rendered release run as local processes; see the test files for the order of the steps. */
export class Stack {
  /** Stacks not stopped yet, so a test file's afterAll can stop what a timed-out test left running. */
  private static readonly live = new Set<Stack>();

  readonly image: ImageConfig = readImageConfig();
  readonly workloads: Workload[];
  readonly standIns: StandIn[] = [];
  /** every process started: the pods' containers (`longRunning`), and init, job, test and exec-probe runs */
  readonly running: { prepared: PreparedContainer; process: ContainerProcess; startedAt: number; longRunning: boolean }[] = [];
  readonly egress = new EgressMonitor();
  /** the pods' writable volumes (PVCs shared by claim name, emptyDirs per pod) as local directories */
  readonly volumes: Volumes;
  net!: Network;
  private readonly selected: Set<string> | undefined;
  /** app-image containers of every workload, by workload ref, checked and ready to start */
  private readonly prepared = new Map<string, PreparedContainer[]>();

  private constructor(
    readonly release: Release,
    readonly opts: StackOptions,
  ) {
    this.workloads = release.workloads();
    this.volumes = new Volumes(release);
    this.selected = opts.only ? new Set(opts.only) : undefined;
    for (const ref of opts.only ?? []) if (!this.workloads.some((w) => w.ref === ref)) throw new Error(`no workload ${ref} in the render`);
  }

  /**
   * Checks the wiring that needs no process (Services → pods, env sources, commands, addresses), starts
   * the stand-ins for third-party images and one replica of every long-running workload of the app image.
   */
  static async start(release: Release, opts: StackOptions = {}): Promise<Stack> {
    const stack = new Stack(release, opts);
    Stack.live.add(stack);
    try {
      checkReferences(release, stack.workloads);
      stack.net = await Network.create(release, stack.workloads);
      const external = await startExternalRedis(release, stack.net);
      if (external) stack.standIns.push(external);
      const bucket = await startExternalS3(release, stack.net);
      if (bucket) stack.standIns.push(bucket);
      stack.checkIngresses();
      // every container of every workload is prepared (and so checked) whether or not it is run
      for (const w of stack.workloads) stack.prepared.set(w.ref, await stack.preparePod(w));
      for (const w of stack.workloads.filter((x) => x.kind === 'service' && x.replicas > 0 && stack.isSelected(x))) {
        for (const c of w.template.spec.containers as Container[]) {
          if (!release.isAppImage(c)) stack.standIns.push(await startStandIn(release, stack.net, w, c, podFacts(release, w)));
        }
      }
      for (const w of stack.workloads.filter((x) => x.kind === 'service' && x.replicas > 0 && stack.isSelected(x))) {
        await stack.runInitContainers(w);
        for (const p of stack.prepared.get(w.ref)!) if (!p.init) stack.spawn(p, true);
      }
      return stack;
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  private isSelected(w: Workload): boolean {
    return !this.selected || this.selected.has(w.ref);
  }

  /** Resolves and checks every app-image container of a pod (init containers first), without running it. */
  private async preparePod(w: Workload): Promise<PreparedContainer[]> {
    const out: PreparedContainer[] = [];
    const pod = this.net.pod(w);
    const facts = podFacts(this.release, w);
    const init = (w.template.spec.initContainers ?? []) as Container[];
    for (const c of [...init, ...(w.template.spec.containers as Container[])]) {
      const where = containerWhere(w, c);
      if (!this.release.isAppImage(c)) {
        resolveEnv(this.release, w, c, facts); // a third-party container's secret refs must resolve too
        continue;
      }
      if (init.includes(c) && c.restartPolicy === 'Always') throw new Error(`${where}: sidecar init containers are not modelled; extend the harness`);
      out.push(await this.prepareContainer(w, c, pod, facts, where, init.includes(c)));
    }
    return out;
  }

  private async prepareContainer(w: Workload, c: Container, pod: PodNetwork, facts: PodFacts, where: string, init: boolean): Promise<PreparedContainer> {
    const resolved = resolveEnv(this.release, w, c, facts);
    const argv = expandArgv(containerArgv(this.image, c), resolved, where);
    checkVariablesRead(where, resolved.env.keys(), resolved.referenced, this.image.env);
    const from = { namespace: this.release.namespace, pod };
    const local = localArgv(this.image, argv, where);
    // DNS applies to what the process is given on its command line as much as to its environment
    for (let i = 0; i < local.argv.length; i++) local.argv[i] = await this.net.rewriteAddresses(local.argv[i]!, `${where}: argument ${i}`, from);
    const env = new Map<string, string>();
    for (const [k, v] of resolved.env) env.set(k, this.volumes.rewritePath(await this.net.rewriteAddresses(v, `${where}: env ${k}`, from), w, c, where));
    const listen = await this.net.mapListenPorts(env, pod);
    const main = this.image.entrypoint.at(-1);
    const at = main ? argv.indexOf(main) : -1;
    const role = at >= 0 ? argv[at + 1] : undefined;
    return {
      workload: w,
      container: c,
      where,
      init,
      role,
      argv: local.argv,
      cwd: local.cwd,
      // image ENV, then the container's (Kubernetes: container env wins); PATH is the machine's
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: facts.name, HOME: '/', ...this.image.env, ...Object.fromEntries(env) },
      listen,
    };
  }

  private spawn(p: PreparedContainer, longRunning: boolean): ContainerProcess {
    const proc = new ContainerProcess(p.where, p.argv, p.cwd, p.env);
    this.running.push({ prepared: p, process: proc, startedAt: Date.now(), longRunning });
    this.egress.watch(proc.pid, p.where);
    return proc;
  }

  private async runInitContainers(w: Workload): Promise<void> {
    for (const p of this.prepared.get(w.ref) ?? []) {
      if (!p.init) continue;
      const r = await this.runToExit(p, this.opts.jobTimeoutMs ?? 30_000);
      if (r.code !== 0) throw new WiringError(`${p.where} (init container) exited ${r.code}\n${r.stderr.slice(-2000)}`);
    }
  }

  private checkIngresses(): void {
    for (const ing of this.release.ofKind('Ingress')) {
      for (const rule of ing.spec.rules ?? []) {
        for (const path of rule.http?.paths ?? []) {
          const b = path.backend.service;
          this.net.route(b.name, b.port.number ?? b.port.name, `Ingress ${ing.metadata.name} path ${path.path}`);
        }
      }
    }
  }

  /** The long-running containers of the app image started by `start`, with their processes. */
  get services(): { prepared: PreparedContainer; process: ContainerProcess; startedAt: number }[] {
    return this.running.filter((r) => r.longRunning);
  }

  /** Every probe of every started container, concurrently; throws the first failure. */
  async waitReady(): Promise<string[]> {
    const results = await Promise.all(
      this.services.map(({ prepared, process, startedAt }) =>
        waitForProbes(
          {
            where: prepared.where,
            container: prepared.container,
            pod: this.net.pod(prepared.workload),
            process,
            exec: async (command, timeoutMs) => (await this.runToExit({ ...prepared, ...localArgv(this.image, command, `${prepared.where} exec probe`) }, timeoutMs)).code ?? 1,
          },
          startedAt,
          this.opts.probes,
        ),
      ),
    );
    return results.flat();
  }

  /** The exec probes of the Redis container(s), run against their stand-ins (see checkRedisProbes). */
  async checkStandInProbes(): Promise<string[]> {
    const out: string[] = [];
    for (const s of this.standIns) if (s.kind === 'redis') out.push(...(await checkRedisProbes(this.release, this.net, s)));
    return out;
  }

  /**
   * `prometheus.io/*` annotations and ServiceMonitor endpoints: each must answer with Prometheus text.
   * `render` may be another render of the same pods (without the ServiceMonitor CRD the chart annotates
   * the pods instead); its annotations and ServiceMonitors are checked against the running pods.
   */
  async checkScrapes(render: Release = this.release): Promise<string[]> {
    const annotationsOf = new Map(render.workloads().map((w) => [w.ref, w.template.metadata.annotations ?? {}]));
    const checked: string[] = [];
    const scrape = async (where: string, port: number, path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
      const body = res instanceof Error ? '' : await res.text();
      if (res instanceof Error || res.status !== 200 || !/^# (HELP|TYPE) /m.test(body)) {
        throw new WiringError(`${where}: GET ${path} on 127.0.0.1:${port} answered ${res instanceof Error ? res.message : `${res.status} ${body.slice(0, 200)}`}, not Prometheus metrics`);
      }
      checked.push(`${where} ${path}`);
    };
    const running = [...this.services.map((s) => s.prepared.workload), ...this.standIns.flatMap((s) => (s.kind === 'otlp' ? [s.workload] : []))];
    for (const w of new Set(running)) {
      const a = annotationsOf.get(w.ref) ?? {};
      if (a['prometheus.io/scrape'] !== 'true') continue;
      const where = `${w.ref} annotation prometheus.io/port=${a['prometheus.io/port']}`;
      const pod = this.net.pod(w);
      const port = Number(a['prometheus.io/port']);
      if (!pod.declared().some((d) => d.containerPort === port)) throw new WiringError(`${where}: not a declared containerPort (declared: ${pod.declared().map((d) => d.containerPort).join(', ')})`);
      await scrape(where, await pod.hostPort(port), a['prometheus.io/path'] ?? '/metrics');
    }
    for (const sm of render.ofKind('ServiceMonitor')) {
      const services = render.ofKind('Service').filter((s) => labelSelectorMatches(sm.spec.selector, s.metadata.labels));
      if (services.length === 0) throw new WiringError(`ServiceMonitor ${sm.metadata.name}: selector ${JSON.stringify(sm.spec.selector)} matches no Service`);
      for (const svc of services) {
        for (const ep of sm.spec.endpoints ?? []) {
          const where = `ServiceMonitor ${sm.metadata.name} endpoint port ${ep.port} of Service ${svc.metadata.name}`;
          const route = this.net.route(svc.metadata.name, ep.port ?? ep.targetPort, where);
          if (!this.isSelected(route.workload)) continue;
          await scrape(where, route.hostPort, ep.path ?? '/metrics');
        }
      }
    }
    return checked;
  }

  private async runToExit(p: PreparedContainer, timeoutMs: number): Promise<RunResult> {
    const proc = this.spawn(p, false);
    const exit = await proc.waitExit(timeoutMs);
    return { where: p.where, code: exit.timedOut ? null : exit.code, stdout: proc.stdout, stderr: proc.stderr };
  }

  /** Runs every container of the workloads of `kind` (CronJobs: 'job', helm tests: 'test'), concurrently; each must exit 0. */
  async runToCompletion(kind: WorkloadKind): Promise<RunResult[]> {
    const runs = this.workloads
      .filter((w) => w.kind === kind && this.isSelected(w))
      .flatMap((w) => {
        const deadline = (w.owner as any).spec?.jobTemplate?.spec?.activeDeadlineSeconds ?? (w.owner as any).spec?.activeDeadlineSeconds ?? w.template.spec.activeDeadlineSeconds;
        const timeoutMs = Math.min(this.opts.jobTimeoutMs ?? 30_000, deadline ? deadline * 1000 : Infinity);
        return (this.prepared.get(w.ref) ?? []).map(async (p) => {
          const startedAt = Date.now();
          const r = await this.runToExit(p, timeoutMs);
          if (r.code !== 0) {
            const outcome = r.code === null ? `did not finish within ${timeoutMs} ms${await explainStuckTask(p.argv, p.env, startedAt)}` : `exited ${r.code}`;
            throw new WiringError(`${p.where} ${outcome}: ${p.argv.join(' ')}\n--- stdout ---\n${r.stdout.slice(-2000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`);
          }
          return r;
        });
      });
    return Promise.all(runs);
  }

  /** A started container by role (api, worker, ...). */
  service(role: string): PreparedContainer {
    const hit = this.services.find((s) => s.prepared.role === role);
    if (!hit) throw new Error(`no running container with role ${role}`);
    return hit.prepared;
  }

  /** The API as a client in the namespace reaches it: through the Service that routes to the api container's pod. */
  apiBaseUrl(): string {
    const api = this.service('api');
    const route = this.release
      .ofKind('Service')
      .map((svc) => this.net.route(svc.metadata.name, svc.spec.ports[0].port, `Service ${svc.metadata.name}`))
      .find((r) => r.workload === api.workload);
    if (!route) throw new WiringError(`no Service routes to ${api.workload.ref}`);
    return `http://127.0.0.1:${route.hostPort}`;
  }

  /** An authenticated GET through every rendered HTTPRoute and Ingress to the API (see routes.ts). */
  async checkRoutes(): Promise<RouteCheck[]> {
    const api = this.service('api');
    const key = (api.env.API_KEYS ?? '').split(',')[0]?.trim();
    if (!key) throw new WiringError('the api container has no API_KEYS');
    const svc = this.release.ofKind('Service').find((s) => this.net.route(s.metadata.name, s.spec.ports[0].port, `Service ${s.metadata.name}`).workload === api.workload);
    return checkRoutesToApi(this.release, this.net, svc.metadata.name, key);
  }

  /** POST /api/v1/analyze-async with the first key the API container was given; resolves to the task id. */
  async submitReport(): Promise<string> {
    const key = (this.service('api').env.API_KEYS ?? '').split(',')[0]?.trim();
    if (!key) throw new WiringError('the api container has no API_KEYS');
    const campaigns = [{ name: 'chart-run', channel: 'search', start_date: '2026-01-01', end_date: '2026-01-31', budget: 1000, spend: 500, impressions: 10000, clicks: 200, conversions: 10, revenue: 1500 }];
    const res = await fetch(`${this.apiBaseUrl()}/api/v1/analyze-async`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ campaigns }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { task_id?: string };
    if (res.status !== 202 || !body.task_id) throw new WiringError(`POST /api/v1/analyze-async answered ${res.status}: ${JSON.stringify(body)}`);
    return body.task_id;
  }

  /** Whether the app containers export traces at all (OTEL_SDK_DISABLED as rendered). */
  get tracingEnabled(): boolean {
    return this.service('api').env.OTEL_SDK_DISABLED !== 'true';
  }

  /** Spans received by every OTLP stand-in. */
  spans(): ReceivedSpan[] {
    return this.standIns.flatMap((s) => (s.kind === 'otlp' ? s.receiver.spans : []));
  }

  /**
   * The trace of task `taskId` as the stand-in collector received it: the API's POST, the API's
   * producer span of the job, and the worker's consumer span parented on it.
   */
  async traceOfTask(taskId: string, timeoutMs = 20_000): Promise<{ server: ReceivedSpan; producer: ReceivedSpan; consumer: ReceivedSpan; trace: ReceivedSpan[] }> {
    const find = () => {
      const all = this.spans();
      const producer = all.find((s) => s.kind === SPAN_KIND.producer && s.attributes['bullmq.job.id'] === taskId);
      if (!producer) return undefined;
      const trace = all.filter((s) => s.traceId === producer.traceId);
      const consumer = trace.find((s) => s.kind === SPAN_KIND.consumer && s.parentSpanId === producer.spanId);
      const server = trace.find((s) => s.kind === SPAN_KIND.server && s.resource['service.name'] === SERVICE_NAMES.api);
      return consumer && server ? { server, producer, consumer, trace } : undefined;
    };
    try {
      return await waitFor(`the trace of task ${taskId}`, find, timeoutMs, 200);
    } catch {
      const names = this.spans().map((s) => `${String(s.resource['service.name'])}:${s.name}`);
      const receivers = this.standIns.filter((s) => s.kind === 'otlp').map((s) => s.where);
      throw new WiringError(`no API → worker trace for task ${taskId} reached the OTLP stand-ins (${receivers.join(', ') || 'none'}) within ${timeoutMs} ms; received ${names.length} spans: ${[...new Set(names)].join(', ')}`);
    }
  }

  /**
   * What the KEDA operator would read: with the scaled workloads stopped (scaled to zero), a job sent to
   * the API must show in the list of some trigger, read with the trigger's address and authentication.
   */
  async checkKedaSeesWork(submit: () => Promise<unknown>): Promise<{ trigger: string; listName: string; length: number }[]> {
    const objects = this.release.ofKind('ScaledObject');
    if (objects.length === 0) return [];
    const targets = new Set(objects.map((so) => `${so.spec.scaleTargetRef.kind ?? 'Deployment'}/${so.spec.scaleTargetRef.name}`));
    await Promise.all(this.services.filter((s) => targets.has(s.prepared.workload.ref)).map((s) => s.process.stop()));
    await submit();
    const lengths: { trigger: string; listName: string; length: number }[] = [];
    for (const so of objects) {
      for (const t of so.spec.triggers as any[]) {
        const where = `ScaledObject ${so.metadata.name} trigger ${t.name ?? t.type}`;
        if (t.type === 'metrics-api') {
          lengths.push(await this.readMetricsApi(where, t.metadata as Record<string, string>));
          continue;
        }
        if (t.type !== 'redis') throw new Error(`${where}: trigger type ${t.type} is not modelled`);
        const params: Record<string, string> = { ...t.metadata };
        if (t.authenticationRef) {
          const kind = t.authenticationRef.kind ?? 'TriggerAuthentication';
          const ta = this.release.get(kind, t.authenticationRef.name);
          if (!ta) throw new WiringError(`${where}: authenticationRef ${kind} ${t.authenticationRef.name} is not rendered`);
          for (const ref of ta.spec.secretTargetRef ?? []) {
            const secret = this.release.get('Secret', ref.name);
            const raw = secret?.data?.[ref.key] ?? secret?.stringData?.[ref.key];
            if (raw === undefined) throw new WiringError(`${where}: ${kind} ${ta.metadata.name} parameter ${ref.parameter}: Secret ${ref.name} ${secret ? `has no key "${ref.key}"` : 'is not rendered'}`);
            params[ref.parameter] = secret.data?.[ref.key] !== undefined ? Buffer.from(raw, 'base64').toString('utf8') : String(raw);
          }
        }
        const address = params.address ?? (params.host ? `${params.host}:${params.port ?? 6379}` : undefined);
        if (!address) throw new WiringError(`${where}: no address (metadata.address, host/port, or an address parameter of its TriggerAuthentication)`);
        if (params.enableTLS === 'true') throw new Error(`${where}: TLS is not modelled`);
        // the operator runs in its own namespace: short Service names do not resolve there
        const local = await this.net.rewriteAddresses(address, `${where} address`, { namespace: 'keda' });
        const [host, port] = [local.slice(0, local.lastIndexOf(':')), Number(local.slice(local.lastIndexOf(':') + 1))];
        const redis = new Redis({ host, port, password: params.password, username: params.username, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        try {
          await redis.connect();
          lengths.push({ trigger: where, listName: params.listName!, length: await redis.llen(params.listName!) });
        } catch (e) {
          throw new WiringError(`${where}: reading ${params.listName} at ${address} (→ ${local}) failed: ${(e as Error).message}`);
        } finally {
          redis.disconnect();
        }
      }
    }
    return lengths;
  }

  /** What KEDA's metrics-api scaler reads: the URL from the operator's namespace, a number at valueLocation. */
  private async readMetricsApi(where: string, meta: Record<string, string>): Promise<{ trigger: string; listName: string; length: number }> {
    const url = new URL(meta.url ?? '');
    const local = await this.net.rewriteAddresses(`${url.hostname}:${url.port || 80}`, `${where} url`, { namespace: 'keda' });
    let value: unknown;
    try {
      const res = await fetch(`${url.protocol}//${local}${url.pathname}${url.search}`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as Record<string, unknown>;
      value = res.status === 200 ? body[meta.valueLocation ?? ''] : undefined;
    } catch (e) {
      throw new WiringError(`${where}: GET ${meta.url} (→ ${local}) failed: ${(e as Error).message}`);
    }
    if (typeof value !== 'number') throw new WiringError(`${where}: GET ${meta.url} gave no number at "${meta.valueLocation}"`);
    return { trigger: where, listName: url.pathname, length: value };
  }

  /** Every outbound connection of every container process went to a Service, a stand-in or a pod of the release. */
  checkEgress(): { where: string; peers: string[] }[] {
    this.egress.check(this.net.knownPorts());
    return this.egress.connections();
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...Stack.live].map((s) => s.stop()));
  }

  /** Kills every process, closes every stand-in. Safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    Stack.live.delete(this);
    this.egress.stop();
    await Promise.all(this.running.map((r) => r.process.stop().catch(() => undefined)));
    await Promise.all(this.standIns.splice(0).map((s) => stopStandIn(s).catch(() => undefined)));
    this.volumes.remove();
  }
}
