import { createServer, type Server, type Socket } from 'node:net';
import type { CommandContext } from './command-context';
import { CtlError, describeError } from './errors';
import { k8s } from './kube';
import { DEFAULT_LOCAL_PORTS, GRAFANA_SELECTOR, pickPodPort, planGrafanaForward, planPortForwards, type LocalPorts, type PlannedForward, type SkippedForward } from './port-plan';
import type { V1Service } from './kube';
import { releaseSelector } from './release';

export interface DashboardsOptions {
  /** Local port of each dashboard. @default api 8000, jaeger 16686, dashboard 5555, grafana 3000 */
  readonly ports?: Partial<LocalPorts>;
  /** Address the local ports listen on. @default 127.0.0.1 */
  readonly host?: string;
}

export interface OpenDashboards {
  readonly forwards: PlannedForward[];
  readonly skipped: SkippedForward[];
  /** Stops listening and closes every open tunnel; safe to call twice. */
  close(): Promise<void>;
}

/** A pod is looked up again after this long, so a restarted pod is picked up without restarting the ctl. */
const POD_CACHE_MS = 10_000;

function listen(server: Server, port: number, host: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new CtlError(`Local port ${port} is already in use; pick another with ${flag} <port>.`)
          : new CtlError(`Cannot listen on ${host}:${port}: ${err.message}`),
      );
    });
    server.listen(port, host, () => resolve());
  });
}

/**
 * Grafana's Services (kube-prometheus-stack labels them `app.kubernetes.io/name=grafana`) across the
 * cluster; with no right to list Services cluster-wide, those of the release's namespace.
 */
async function grafanaServices(ctx: CommandContext): Promise<V1Service[]> {
  const { core, namespace } = ctx.client;
  try {
    return (await core.listServiceForAllNamespaces({ labelSelector: GRAFANA_SELECTOR })).items;
  } catch {
    return (await core.listNamespacedService({ namespace, labelSelector: GRAFANA_SELECTOR })).items;
  }
}

/** Opens a local port per dashboard that tunnels, per connection, to a ready pod behind its Service. */
export async function openDashboards(ctx: CommandContext, opts: DashboardsOptions = {}): Promise<OpenDashboards> {
  const { client } = ctx;
  const namespace = client.namespace;
  const host = opts.host ?? '127.0.0.1';
  const services = (await client.core.listNamespacedService({ namespace, labelSelector: releaseSelector(ctx.release) })).items;
  if (services.length === 0) {
    throw new CtlError(`Release "${ctx.release}" has no Services in namespace "${namespace}"; check --namespace and --release.`);
  }
  const localPorts = { ...DEFAULT_LOCAL_PORTS, ...opts.ports };
  const plan = planPortForwards(services, localPorts, host);
  const grafana = planGrafanaForward(await grafanaServices(ctx), namespace, localPorts.grafana, host);
  const planned = 'reason' in grafana ? plan.forwards : [...plan.forwards, grafana];
  const skipped = 'reason' in grafana ? [...plan.skipped, grafana] : [...plan.skipped];
  const forwards: PlannedForward[] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const portForward = new k8s.PortForward(client.kc);

  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };

  try {
    for (const f of planned) {
      const ns = f.namespace ?? namespace;
      const selector = Object.entries(f.selector).map(([k, v]) => `${k}=${v}`).join(',');
      let cached: { pod: string; port: number; at: number } | undefined;
      const resolvePod = async (): Promise<{ pod: string; port: number }> => {
        if (cached && Date.now() - cached.at < POD_CACHE_MS) return cached;
        const pods = (await client.core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
        cached = { ...pickPodPort(pods, f.targetPort, f.service), at: Date.now() };
        return cached;
      };
      try {
        await resolvePod();
      } catch (err) {
        if (!(err instanceof CtlError)) throw err;
        skipped.push({ component: f.component, title: f.title, reason: err.message });
        continue;
      }
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
        resolvePod()
          .then(({ pod, port }) => portForward.portForward(ns, pod, [port], socket, null, socket))
          .then((ws) => {
            if (typeof ws === 'function') return;
            ws.on('close', () => socket.destroy());
            socket.on('close', () => ws.close());
          })
          .catch((err: unknown) => {
            cached = undefined;
            ctx.out.write(`${f.title}: ${describeError(err, { context: client.context, server: client.server, namespace: ns })}\n`);
            socket.destroy();
          });
      });
      await listen(server, f.localPort, host, `--${f.component}-port`);
      servers.push(server);
      forwards.push(f);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { forwards, skipped, close };
}

/** `dashboards`: forwards every dashboard until the signal fires (Ctrl-C), then frees the ports. */
export async function dashboardsCommand(ctx: CommandContext, opts: DashboardsOptions, signal: AbortSignal): Promise<number> {
  const open = await openDashboards(ctx, opts);
  for (const s of open.skipped) ctx.out.write(`${s.title}: not forwarded, ${s.reason}\n`);
  if (open.forwards.length === 0) {
    ctx.out.write('Nothing to forward.\n');
    return 1;
  }
  for (const f of open.forwards) ctx.out.write(`${f.title.padEnd(16)} ${f.url}  (service ${f.service}:${f.servicePort})\n`);
  ctx.out.write('Forwarding; press Ctrl-C to stop.\n');
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await open.close();
  ctx.out.write('Stopped; local ports freed.\n');
  return 0;
}
