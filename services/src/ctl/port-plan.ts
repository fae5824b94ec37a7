import { CtlError, UsageError } from './errors';
import { COMPONENT_LABEL } from './release';
import type { V1Pod, V1Service } from './kube';

export type DashboardComponent = 'api' | 'jaeger' | 'dashboard' | 'grafana';

/** What `dashboards` opens: the service port of each component and the page worth opening. */
interface DashboardTarget {
  readonly component: DashboardComponent;
  readonly title: string;
  readonly port: number;
  readonly path: string;
  readonly portNames: string[];
}

export const DASHBOARDS: ReadonlyArray<DashboardTarget> = [
  { component: 'api', title: 'API docs', port: 8000, path: '/api/docs', portNames: ['http', 'api'] },
  { component: 'jaeger', title: 'Jaeger UI', port: 16686, path: '/', portNames: ['ui', 'http-ui', 'query', 'http-query'] },
  { component: 'dashboard', title: 'Queue dashboard', port: 5555, path: '/', portNames: ['http', 'dashboard'] },
];

/**
 * Grafana is not the release's: kube-prometheus-stack installs it, labelled by its Grafana subchart
 * `app.kubernetes.io/name=grafana`, usually in another namespace (service port 80, named `http-web`).
 * The page opened lists the dashboards the chart ships (tag `pca-agent`).
 */
export const GRAFANA: DashboardTarget = { component: 'grafana', title: 'Grafana', port: 80, path: '/dashboards?tag=pca-agent', portNames: ['http-web', 'service', 'http'] };
export const GRAFANA_SELECTOR = 'app.kubernetes.io/name=grafana';

export type LocalPorts = Record<DashboardComponent, number>;

export const DEFAULT_LOCAL_PORTS: LocalPorts = { api: 8000, jaeger: 16686, dashboard: 5555, grafana: 3000 };

export interface PlannedForward {
  readonly component: DashboardComponent;
  readonly title: string;
  readonly service: string;
  readonly servicePort: number;
  /** The pod port behind the service port: a number, or a container port name to resolve on the pod. */
  readonly targetPort: number | string;
  readonly selector: Record<string, string>;
  readonly localPort: number;
  readonly url: string;
  /** Namespace of the Service and its pods. @default the release's */
  readonly namespace?: string;
}

export interface SkippedForward {
  readonly component: DashboardComponent;
  readonly title: string;
  readonly reason: string;
}

export interface PortPlan {
  readonly forwards: PlannedForward[];
  readonly skipped: SkippedForward[];
}

/**
 * Which service port each dashboard forwards to and on which local port, from the release's Services.
 * A component without a Service is skipped with the reason (disabled in the values); two dashboards
 * on one local port, or a port out of range, is a usage error.
 */
export function planPortForwards(services: V1Service[], localPorts: LocalPorts = DEFAULT_LOCAL_PORTS, host = '127.0.0.1'): PortPlan {
  for (const { component } of [...DASHBOARDS, GRAFANA]) {
    const p = localPorts[component];
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      throw new UsageError(`--${component}-port must be a port number between 1 and 65535, got ${String(p)}`);
    }
  }
  const seen = new Map<number, DashboardComponent>();
  for (const { component } of [...DASHBOARDS, GRAFANA]) {
    const other = seen.get(localPorts[component]);
    if (other) {
      throw new UsageError(`${other} and ${component} both want local port ${localPorts[component]}; give one of them another port (--${component}-port)`);
    }
    seen.set(localPorts[component], component);
  }

  const forwards: PlannedForward[] = [];
  const skipped: SkippedForward[] = [];
  for (const d of DASHBOARDS) {
    const service = services.find((s) => s.metadata?.labels?.[COMPONENT_LABEL] === d.component);
    if (!service) {
      skipped.push({ component: d.component, title: d.title, reason: `no Service with ${COMPONENT_LABEL}=${d.component} in the release (disabled in the values?)` });
      continue;
    }
    const planned = planOne(d, service, localPorts[d.component], host);
    if ('reason' in planned) skipped.push(planned);
    else forwards.push(planned);
  }
  return { forwards, skipped };
}

function planOne(d: DashboardTarget, service: V1Service, localPort: number, host: string): PlannedForward | SkippedForward {
  const ports = service.spec?.ports ?? [];
  const port = ports.find((p) => p.port === d.port) ?? ports.find((p) => p.name && d.portNames.includes(p.name)) ?? ports[0];
  const selector = service.spec?.selector ?? {};
  if (!port || Object.keys(selector).length === 0) {
    return { component: d.component, title: d.title, reason: `Service ${service.metadata?.name} has no ${port ? 'selector' : 'ports'}` };
  }
  return {
    component: d.component,
    title: d.title,
    service: service.metadata?.name ?? '?',
    servicePort: port.port,
    targetPort: port.targetPort ?? port.port,
    selector,
    localPort,
    url: `http://${host}:${localPort}${d.path}`,
    ...(service.metadata?.namespace ? { namespace: service.metadata.namespace } : {}),
  };
}

/**
 * The Grafana forward, from the Services labelled `app.kubernetes.io/name=grafana` that the ctl can see:
 * one in the release's namespace first, else the first by namespace and name.
 */
export function planGrafanaForward(services: V1Service[], releaseNamespace: string, localPort: number, host = '127.0.0.1'): PlannedForward | SkippedForward {
  const sorted = [...services].sort((a, b) => {
    const key = (s: V1Service) => `${s.metadata?.namespace === releaseNamespace ? 0 : 1}/${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
    return key(a).localeCompare(key(b));
  });
  const service = sorted[0];
  if (!service) {
    return { component: 'grafana', title: GRAFANA.title, reason: `no Service labelled ${GRAFANA_SELECTOR} (kube-prometheus-stack's Grafana) that this context can list` };
  }
  return planOne(GRAFANA, service, localPort, host);
}

export const isPodReady = (pod: V1Pod): boolean =>
  pod.metadata?.deletionTimestamp === undefined &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The first ready pod and the container port a service's targetPort means on it. */
export function pickPodPort(pods: V1Pod[], targetPort: number | string, service: string): { pod: string; port: number } {
  const pod = pods.find(isPodReady);
  if (!pod?.metadata?.name) throw new CtlError(`No ready pod behind Service ${service} (see \`npm run ctl -- status\`).`);
  if (typeof targetPort === 'number') return { pod: pod.metadata.name, port: targetPort };
  if (/^\d+$/.test(targetPort)) return { pod: pod.metadata.name, port: Number(targetPort) };
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.find((x) => x.name === targetPort);
    if (p) return { pod: pod.metadata.name, port: p.containerPort };
  }
  throw new CtlError(`Pod ${pod.metadata.name} has no container port named "${targetPort}" (targetPort of Service ${service}).`);
}
