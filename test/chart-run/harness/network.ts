import { freePort } from '../../helpers/processes';
import { LISTEN_PORT_VARIABLES } from './app-contract';
import type { Container, Release, Workload } from './release';
import { WiringError } from './wiring-error';

/*
 * The one place where cluster addresses become local ones. Every pod gets its own "network namespace":
 * a table from the pod-local port numbers it uses (declared containerPorts, the ports its listen
 * variables name, ports probes target) to free ports on 127.0.0.1, allocated once. From that:
 *
 * - a listen variable (PORT, WORKER_HTTP_PORT, DASHBOARD_PORT, as rendered) is replaced by the host port
 *   of its value in the pod's table, so the process listens where its pod-local port is;
 * - a probe's port (a number, or a name resolved against the container's ports) goes to the host port of
 *   that number in the same table, so a probe on a port the app does not listen on is refused;
 * - a Service port goes to its targetPort, which must resolve to a declared containerPort of the one
 *   workload the selector picks, then to that pod's host port;
 * - in env values and command-line arguments, `<svc>[.<ns>[.svc[.cluster.local]]]:<port>` becomes `127.0.0.1:<host port>` (short
 *   names only from the release's namespace, as DNS search paths resolve them), a scenario's external
 *   hosts (the external Redis) map to their stand-ins, and `localhost`/`127.0.0.1` mean the pod itself.
 *
 * Nothing else is rewritten. Only one replica of each workload runs, so pod-local ports never collide.
 */

export interface ServiceRoute {
  readonly service: string;
  readonly port: number;
  readonly workload: Workload;
  readonly containerPort: number;
  readonly hostPort: number;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, redis: 6379, rediss: 6379, grpc: 443 };
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** One pod's port table. */
export class PodNetwork {
  readonly ports = new Map<number, number>();
  private readonly pending = new Map<number, Promise<number>>();

  constructor(
    private readonly net: Network,
    readonly workload: Workload,
  ) {}

  /** The host port standing for pod-local `port` (allocated on first use; concurrent callers share it). */
  hostPort(port: number): Promise<number> {
    let host = this.pending.get(port);
    if (!host) {
      host = this.net.allocate().then((h) => (this.ports.set(port, h), h));
      this.pending.set(port, host);
    }
    return host;
  }

  /** Declared ports of every container of the pod. */
  declared(): { container: string; name?: string; containerPort: number }[] {
    return (this.workload.template.spec.containers as Container[]).flatMap((c) => (c.ports ?? []).map((p) => ({ container: c.name, name: p.name, containerPort: p.containerPort })));
  }

  /** A probe's or Service's port: a number as is, a name looked up in `container` (or the whole pod). */
  portNumber(port: number | string, where: string, container?: Container): number {
    if (typeof port === 'number' || /^\d+$/.test(port)) return Number(port);
    const candidates = container ? (container.ports ?? []).map((p) => ({ ...p, container: container.name })) : this.declared();
    const hit = candidates.find((p) => p.name === port);
    if (!hit) {
      const list = candidates.map((p) => `${p.name ?? '(unnamed)'}=${p.containerPort}`).join(', ') || 'none';
      throw new WiringError(`${where}: port "${port}" is not a declared port of ${container ? `container "${container.name}" in ` : ''}${this.workload.ref} (declared: ${list})`);
    }
    return hit.containerPort;
  }

  describe(): string {
    return [...this.ports].map(([p, h]) => `${p}→${h}`).join(' ');
  }
}

export class Network {
  private readonly allocated = new Set<number>();
  private readonly pods = new Map<string, PodNetwork>();
  /** DNS name → Service name, for the names that resolve from the release's namespace */
  private readonly names = new Map<string, string>();
  private readonly routes = new Map<string, ServiceRoute[]>();
  /** `host:port` of endpoints outside the release → host port of their stand-in */
  private readonly external = new Map<string, number>();

  private constructor(readonly release: Release) {}

  /** Checks every Service against the pods and allocates the ports of every pod's declared containerPorts. */
  static async create(release: Release, workloads: Workload[]): Promise<Network> {
    const net = new Network(release);
    for (const w of workloads) {
      const pod = new PodNetwork(net, w);
      net.pods.set(w.ref, pod);
      for (const p of pod.declared()) await pod.hostPort(p.containerPort);
    }
    for (const svc of release.ofKind('Service')) await net.addService(svc, workloads);
    return net;
  }

  async allocate(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.allocated.has(port)) {
        this.allocated.add(port);
        return port;
      }
    }
  }

  pod(workload: Workload): PodNetwork {
    const pod = this.pods.get(workload.ref);
    if (!pod) throw new Error(`${workload.ref} has no pod network`);
    return pod;
  }

  private async addService(svc: any, workloads: Workload[]): Promise<void> {
    const where = `Service ${svc.metadata.name}`;
    if (svc.spec.type === 'ExternalName' || !svc.spec.selector) throw new WiringError(`${where}: Services without a selector are not modelled by the chart-run harness`);
    const selected = workloads.filter((w) => selects(svc.spec.selector, w.template.metadata.labels));
    if (selected.length !== 1) {
      throw new WiringError(`${where}: selector ${JSON.stringify(svc.spec.selector)} picks ${selected.length ? selected.map((w) => w.ref).join(' and ') : 'no pod template'}; it must pick exactly one workload`);
    }
    const workload = selected[0]!;
    const pod = this.pod(workload);
    const declared = pod.declared();
    const routes: ServiceRoute[] = [];
    for (const p of svc.spec.ports as { name?: string; port: number; targetPort?: number | string }[]) {
      const target = p.targetPort ?? p.port;
      const at = `${where} port ${p.name ?? p.port} (targetPort ${JSON.stringify(target)})`;
      const containerPort = pod.portNumber(target, at);
      if (!declared.some((d) => d.containerPort === containerPort)) {
        throw new WiringError(`${at}: ${containerPort} is not a declared containerPort of ${workload.ref} (declared: ${declared.map((d) => d.containerPort).join(', ')})`);
      }
      routes.push({ service: svc.metadata.name, port: p.port, workload, containerPort, hostPort: await pod.hostPort(containerPort) });
    }
    this.routes.set(svc.metadata.name, routes);
    const ns = this.release.namespace;
    const n = svc.metadata.name as string;
    for (const dns of [n, `${n}.${ns}`, `${n}.${ns}.svc`, `${n}.${ns}.svc.cluster.local`]) this.names.set(dns, n);
  }

  /** An endpoint outside the release (e.g. the external Redis) and the host port of its stand-in. */
  addExternal(host: string, port: number, hostPort: number): void {
    this.external.set(`${host.toLowerCase()}:${port}`, hostPort);
    this.allocated.add(hostPort);
  }

  /** A Service port by number or name (as Ingresses and ServiceMonitors name them). */
  route(service: string, port: number | string, where: string): ServiceRoute {
    const routes = this.routes.get(service);
    if (!routes) throw new WiringError(`${where}: Service ${service} is not rendered by the chart`);
    const svc = this.release.get('Service', service);
    const hit = typeof port === 'number' || /^\d+$/.test(port) ? routes.find((r) => r.port === Number(port)) : routes[(svc.spec.ports as any[]).findIndex((p) => p.name === port)];
    if (!hit) throw new WiringError(`${where}: Service ${service} has no port ${JSON.stringify(port)} (ports: ${(svc.spec.ports as any[]).map((p) => `${p.name ?? ''}=${p.port}`).join(', ')})`);
    return hit;
  }

  /** Host ports anything of the release may legitimately connect to. */
  knownPorts(): Set<number> {
    return new Set(this.allocated);
  }

  /**
   * Rewrites the cluster addresses in one value, as seen by a client in `fromNamespace` (`pod` for
   * loopback addresses; none for a client outside the release, e.g. the KEDA operator).
   */
  async rewriteAddresses(value: string, where: string, from: { namespace: string; pod?: PodNetwork }): Promise<string> {
    const sameNamespace = from.namespace === this.release.namespace;
    const names = [...this.names.keys()].filter((n) => sameNamespace || n.includes('.'));
    const hosts = [...names, ...[...this.external.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))), ...(from.pod ? LOOPBACK : [])];
    const unique = [...new Set(hosts)].sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![A-Za-z0-9.-])(?:([a-z][a-z0-9+.-]*)://([^@/\\s]*@)?)?(${unique.map(escape).join('|')})(?::(\\d+))?(?![A-Za-z0-9.-])`, 'gi');
    let out = '';
    let last = 0;
    for (const m of value.matchAll(re)) {
      const [whole, scheme, userinfo = '', host, portText] = m as unknown as [string, string | undefined, string | undefined, string, string | undefined];
      const port = portText ? Number(portText) : scheme ? DEFAULT_PORTS[scheme.toLowerCase()] : undefined;
      if (port === undefined) continue; // a bare name that is no address (e.g. a service.name equal to a Service)
      const hostPort = await this.resolve(host.toLowerCase(), port, `${where}: ${JSON.stringify(whole)}`, from.pod);
      out += `${value.slice(last, m.index)}${scheme ? `${scheme}://${userinfo}` : ''}127.0.0.1:${hostPort}`;
      last = m.index + whole.length;
    }
    const rewritten = out + value.slice(last);
    this.checkNoClusterHostsLeft(rewritten, where, from.namespace);
    return rewritten;
  }

  private async resolve(host: string, port: number, where: string, pod?: PodNetwork): Promise<number> {
    if (LOOPBACK.includes(host)) return pod!.hostPort(port);
    const ext = this.external.get(`${host}:${port}`);
    if (ext !== undefined) return ext;
    const service = this.names.get(host);
    if (!service) throw new WiringError(`${where}: ${host}:${port} is neither a Service of the release nor an external endpoint of the scenario`);
    return this.route(service, port, where).hostPort;
  }

  /** A host that looks cluster-internal but matched no Service is a misspelt or wrongly qualified name. */
  private checkNoClusterHostsLeft(value: string, where: string, fromNamespace: string): void {
    const ns = escape(this.release.namespace);
    const candidates = [...value.matchAll(/[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([A-Za-z0-9.-]+)/gi)].map((m) => m[1]!);
    const bare = /^([A-Za-z0-9.-]+):\d+$/.exec(value)?.[1];
    if (bare) candidates.push(bare);
    for (const host of candidates) {
      if (host === '127.0.0.1' || /^\d+(\.\d+){3}$/.test(host)) continue;
      const clusterLike = !host.includes('.') || new RegExp(`(\\.svc|\\.svc\\.cluster\\.local|\\.${ns})$`, 'i').test(host);
      if (!clusterLike) continue;
      const hint = !host.includes('.') && fromNamespace !== this.release.namespace ? ` (a short name does not resolve from namespace ${fromNamespace})` : '';
      throw new WiringError(`${where}: host "${host}" is no Service of the release${hint} (Services: ${[...this.routes.keys()].join(', ')})`);
    }
  }

  /**
   * The listen variables of a container, replaced by the host ports of the pod-local ports they name.
   * Only the variables listed in LISTEN_PORT_VARIABLES are touched.
   */
  async mapListenPorts(env: Map<string, string>, pod: PodNetwork): Promise<Map<string, { podPort: number; hostPort: number }>> {
    const mapped = new Map<string, { podPort: number; hostPort: number }>();
    for (const name of LISTEN_PORT_VARIABLES) {
      const v = env.get(name);
      if (v === undefined || !/^\d+$/.test(v)) continue; // an invalid value is the app's to reject
      const hostPort = await pod.hostPort(Number(v));
      env.set(name, String(hostPort));
      mapped.set(name, { podPort: Number(v), hostPort });
    }
    return mapped;
  }

  /** A table of every pod's ports, for failure messages. */
  describe(): string {
    return [...this.pods.values()].map((p) => `${p.workload.ref}: ${p.describe()}`).join('\n');
  }
}
