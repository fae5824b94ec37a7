import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { sleep } from '../../helpers/processes';
import type { PodNetwork } from './network';
import type { ContainerProcess } from './process-runner';
import type { Container } from './release';
import { WiringError } from './wiring-error';

export type ProbeName = 'startupProbe' | 'readinessProbe' | 'livenessProbe';

export interface ProbeSpec {
  httpGet?: { path?: string; port: number | string; scheme?: 'HTTP' | 'HTTPS'; host?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command: string[] };
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface ProbeContext {
  readonly where: string;
  readonly container: Container;
  readonly pod: PodNetwork;
  readonly process: ContainerProcess;
  /** Runs an exec probe's command in the container (its env, its image paths); resolves to the exit code. */
  readonly exec: (command: string[], timeoutMs: number) => Promise<number>;
}

/** A probe as it will be sent: what it targets, for messages. */
interface Target {
  readonly describe: string;
  once(timeoutMs: number): Promise<string | true>;
}

function get(scheme: 'HTTP' | 'HTTPS', port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<string | true> {
  return new Promise((resolve) => {
    const req = (scheme === 'HTTPS' ? httpsRequest : httpRequest)(
      // kubelet does not verify the certificate of an HTTPS probe
      { host: '127.0.0.1', port, path, method: 'GET', headers: { 'user-agent': 'kube-probe/1.35', ...headers }, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? true : `HTTP ${code}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

function tcp(port: number, timeoutMs: number): Promise<string | true> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve('timeout')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function target(name: ProbeName, probe: ProbeSpec, ctx: ProbeContext): Promise<Target> {
  const at = `${ctx.where}: ${name}`;
  if (probe.httpGet) {
    const h = probe.httpGet;
    if (h.host) throw new WiringError(`${at}: httpGet.host ${h.host} is not modelled (the kubelet would probe that host, not the pod)`);
    const podPort = ctx.pod.portNumber(h.port, at, ctx.container);
    const hostPort = await ctx.pod.hostPort(podPort);
    const scheme = h.scheme ?? 'HTTP';
    const path = h.path ?? '/';
    const headers = Object.fromEntries((h.httpHeaders ?? []).map((x) => [x.name, x.value]));
    return { describe: `${at} httpGet ${scheme} port ${JSON.stringify(h.port)} (pod port ${podPort} → 127.0.0.1:${hostPort}) path ${path}`, once: (t) => get(scheme, hostPort, path, headers, t) };
  }
  if (probe.tcpSocket) {
    const podPort = ctx.pod.portNumber(probe.tcpSocket.port, at, ctx.container);
    const hostPort = await ctx.pod.hostPort(podPort);
    return { describe: `${at} tcpSocket port ${JSON.stringify(probe.tcpSocket.port)} (pod port ${podPort} → 127.0.0.1:${hostPort})`, once: (t) => tcp(hostPort, t) };
  }
  if (probe.exec) {
    const command = probe.exec.command;
    return { describe: `${at} exec ${JSON.stringify(command)}`, once: async (t) => ((await ctx.exec(command, t)) === 0 ? true : 'non-zero exit') };
  }
  throw new WiringError(`${at}: ${probe.grpc ? 'grpc probes are' : 'a probe without a handler is'} not modelled`);
}

/** How long Kubernetes gives a probe before it acts (`initialDelay + period × failureThreshold`), in ms. */
export function probeBudgetMs(p: ProbeSpec | undefined): number {
  if (!p) return 0;
  return ((p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3)) * 1000;
}

export interface WaitOptions {
  /** the floor of every deadline (default 30 s: node processes start slowly on a busy 2-core machine) */
  readonly minDeadlineMs?: number;
  /** a fixed deadline instead of the derived one (tests of the harness use a short one) */
  readonly deadlineMs?: number;
  /** how often to probe while waiting (the probe's own period is the upper bound) */
  readonly pollMs?: number;
}

async function until(t: Target, probe: ProbeSpec, ctx: ProbeContext, deadline: number, pollMs: number): Promise<void> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  for (;;) {
    if (!ctx.process.running) {
      const exit = await ctx.process.exited;
      throw new WiringError(`${t.describe}: the process exited (code ${exit.code}, signal ${exit.signal}) before the probe succeeded\n${ctx.process.logs()}`);
    }
    const last = await t.once(timeoutMs);
    if (last === true) return;
    if (Date.now() > deadline) {
      throw new WiringError(`${t.describe}: did not succeed by its deadline; last result: ${last}; pod ports ${ctx.pod.describe()}\n${ctx.process.logs()}`);
    }
    await sleep(Math.min(pollMs, (probe.periodSeconds ?? 10) * 1000));
  }
}

/**
 * Probes a started container as the kubelet would: the startupProbe until it passes (within its budget),
 * then readiness and liveness, each within the startup budget plus its own. Returns what was probed.
 */
export async function waitForProbes(ctx: ProbeContext, startedAt: number, opts: WaitOptions = {}): Promise<string[]> {
  const c = ctx.container;
  const floor = opts.minDeadlineMs ?? 30_000;
  const pollMs = opts.pollMs ?? 250;
  const deadline = (budget: number) => startedAt + (opts.deadlineMs ?? Math.max(floor, budget));
  const done: string[] = [];
  const startup = c.startupProbe as ProbeSpec | undefined;
  if (startup) {
    const t = await target('startupProbe', startup, ctx);
    await until(t, startup, ctx, deadline(probeBudgetMs(startup)), pollMs);
    done.push(t.describe);
  }
  const after = probeBudgetMs(startup);
  const rest = (['readinessProbe', 'livenessProbe'] as const).filter((n) => c[n]);
  await Promise.all(
    rest.map(async (n) => {
      const p = c[n] as ProbeSpec;
      const t = await target(n, p, ctx);
      await until(t, p, ctx, deadline(after + probeBudgetMs(p)), pollMs);
      done.push(t.describe);
    }),
  );
  return done;
}
