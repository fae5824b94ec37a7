import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { parse } from 'yaml';
import { RedisServer } from '../../helpers/processes';
import { S3RVER_CREDENTIALS, S3Server } from '../../helpers/s3rver';
import { startOtlpReceiver, type OtlpReceiver } from '../../helpers/otlp-receiver';
import { EXPORTER_METRICS } from '../../monitoring/promql';
import { containerWhere, expandArgv, resolveEnv, type PodFacts } from './env';
import type { Network } from './network';
import type { Container, Release, Workload } from './release';
import { WiringError } from './wiring-error';

/*
 * Third-party images are not run. Each is stood in for by a local server that listens where the real
 * one would, per its own rendered configuration: Redis on its `--port` with the `--requirepass` its
 * args expand to (from the rendered Secret), an OTel Collector or Jaeger by an OTLP/HTTP receiver on
 * the port of the `otlp.protocols.http` endpoint in the config file its `--config` names. A wrong
 * secret key or password wiring, or a Service/containerPort that misses that port, then fails.
 */

export type StandIn =
  | { readonly kind: 'redis'; readonly where: string; readonly server: RedisServer; readonly workload?: Workload; readonly container?: Container }
  | { readonly kind: 'otlp'; readonly where: string; readonly receiver: OtlpReceiver; readonly workload: Workload; readonly metrics?: Server }
  | { readonly kind: 's3'; readonly where: string; readonly server: S3Server }
  | { readonly kind: 'none'; readonly where: string; readonly image: string };

export function standInKind(image: string): 'redis' | 'otlp' | 'none' {
  const repo = image.replace(/[:@].*$/, '');
  if (/(^|\/)redis$/.test(repo)) return 'redis';
  if (/opentelemetry-collector|(^|\/)jaeger(-all-in-one)?$/.test(repo)) return 'otlp';
  return 'none';
}

function flag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i]!.startsWith(`${name}=`)) return argv[i]!.slice(name.length + 1);
  }
  return undefined;
}

/** The text of a file the container reads from a ConfigMap volume, as mounted. */
function mountedFile(release: Release, workload: Workload, container: Container, path: string, where: string): string {
  const mount = (container.volumeMounts ?? []).filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) throw new WiringError(`${where}: ${path} is on no volume mount of the container`);
  const volume = (workload.template.spec.volumes ?? []).find((v: any) => v.name === mount.name);
  if (!volume?.configMap) throw new WiringError(`${where}: ${path} is on volume "${mount.name}", which is ${volume ? 'not a ConfigMap volume (not modelled)' : 'not defined in the pod'}`);
  const rel = mount.subPath ?? posix.relative(mount.mountPath, path);
  const item = (volume.configMap.items as { key: string; path: string }[] | undefined)?.find((i) => i.path === rel);
  const key = item ? item.key : rel;
  const cm = release.get('ConfigMap', volume.configMap.name);
  if (!cm) throw new WiringError(`${where}: volume "${mount.name}" mounts ConfigMap ${volume.configMap.name}, which is not rendered`);
  const text = cm.data?.[key];
  if (typeof text !== 'string') throw new WiringError(`${where}: ConfigMap ${volume.configMap.name} has no key "${key}" for ${path} (keys: ${Object.keys(cm.data ?? {}).join(', ')})`);
  return text;
}

function otlpHttpPort(config: any, where: string): number {
  const http = config?.receivers?.otlp?.protocols && 'http' in config.receivers.otlp.protocols ? (config.receivers.otlp.protocols.http ?? {}) : undefined;
  if (http === undefined) throw new WiringError(`${where}: the config has no receivers.otlp.protocols.http: nothing receives OTLP/HTTP`);
  const endpoint = String(http.endpoint ?? '0.0.0.0:4318');
  const port = Number(/:(\d+)$/.exec(endpoint)?.[1]);
  if (!port) throw new WiringError(`${where}: receivers.otlp.protocols.http.endpoint ${JSON.stringify(endpoint)} has no port`);
  return port;
}

/**
 * Where the config's `service.telemetry.metrics` serves the Collector's own metrics (a pull Prometheus
 * reader), if anywhere. Bound to localhost, the default, no scraper could reach it: a wiring error.
 */
function collectorMetricsPort(config: any, where: string): number | undefined {
  const readers = (config?.service?.telemetry?.metrics?.readers ?? []) as { pull?: { exporter?: { prometheus?: { host?: string; port?: number } } } }[];
  const prom = readers.map((r) => r.pull?.exporter?.prometheus).find((p) => p !== undefined);
  if (!prom) return undefined;
  if (prom.host !== '0.0.0.0' && prom.host !== '::') throw new WiringError(`${where}: service.telemetry.metrics serves on host ${JSON.stringify(prom.host)}, which no scraper outside the pod reaches`);
  if (!prom.port) throw new WiringError(`${where}: service.telemetry.metrics has a Prometheus reader without a port`);
  return prom.port;
}

/** The Collector's metrics endpoint as a scraper sees it: Prometheus text with the names the alerts read. */
async function startCollectorMetrics(port: number): Promise<Server> {
  const body = EXPORTER_METRICS['opentelemetry-collector']!.map((name) => `# HELP ${name} stand-in\n# TYPE ${name} counter\n${name}{exporter="otlp",receiver="otlp"} 0\n`).join('');
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  if ((server.address() as AddressInfo).port !== port) throw new Error('collector metrics stand-in: port mismatch');
  return server;
}

/** Starts the stand-in for one third-party container on its pod's port table. */
export async function startStandIn(release: Release, net: Network, workload: Workload, container: Container, pod: PodFacts): Promise<StandIn> {
  const where = containerWhere(workload, container);
  const kind = standInKind(container.image);
  if (kind === 'none') return { kind, where, image: container.image };
  const resolved = resolveEnv(release, workload, container, pod);
  const argv = expandArgv([...(container.command ?? []), ...(container.args ?? [])], resolved, where);
  const podNet = net.pod(workload);
  if (kind === 'redis') {
    const port = Number(flag(argv, '--port') ?? 6379);
    const password = flag(argv, '--requirepass');
    return { kind, where, server: await RedisServer.start({ aof: false, port: await podNet.hostPort(port), password }), workload, container };
  }
  const configPath = flag(argv, '--config');
  if (!configPath) throw new WiringError(`${where}: no --config argument: where the OTLP receiver listens is unknown`);
  const config = parse(mountedFile(release, workload, container, configPath, where)) as unknown;
  const port = otlpHttpPort(config, `${where} (${configPath})`);
  const metricsPort = collectorMetricsPort(config, `${where} (${configPath})`);
  const receiver = await startOtlpReceiver({ protobuf: true, port: await podNet.hostPort(port) });
  return { kind, where, receiver, workload, ...(metricsPort ? { metrics: await startCollectorMetrics(await podNet.hostPort(metricsPort)) } : {}) };
}

/** The external Redis of the scenario (`externalRedis.url`), stood in for by a local server with its password. */
export async function startExternalRedis(release: Release, net: Network): Promise<StandIn | undefined> {
  const url = release.values.externalRedis?.url as string | undefined;
  if (!url || release.values.redis?.enabled !== false) return undefined;
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`externalRedis.url ${u.protocol} is not modelled by the chart-run harness (TLS)`);
  const server = await RedisServer.start({ aof: false, port: await net.allocate(), password: u.password ? decodeURIComponent(u.password) : undefined });
  net.addExternal(u.hostname, Number(u.port || 6379), server.port);
  return { kind: 'redis', where: `externalRedis ${u.hostname}:${u.port || 6379}`, server };
}

/**
 * With `artifacts.backend: s3`, the bucket outside the release: an S3-compatible server (s3rver) where
 * `artifacts.s3.endpoint` points, holding the bucket, and the user's `existingSecret` with keys it accepts
 * (created before the install, as the user would).
 */
export async function startExternalS3(release: Release, net: Network): Promise<StandIn | undefined> {
  const a = release.values.artifacts;
  if (a?.backend !== 's3') return undefined;
  const s3 = a.s3 ?? {};
  if (!s3.endpoint) throw new Error('artifacts.s3.endpoint is empty: AWS S3 itself is not modelled by the chart-run harness');
  const u = new URL(String(s3.endpoint));
  if (u.protocol !== 'http:') throw new Error(`artifacts.s3.endpoint ${u.protocol} is not modelled by the chart-run harness (TLS)`);
  if (!s3.existingSecret) throw new Error('artifacts.s3.existingSecret is empty: cloud identity (IRSA / Workload Identity) is not modelled by the chart-run harness');
  const server = await S3Server.start(await net.allocate());
  await server.createBucket(String(s3.bucket));
  net.addExternal(u.hostname, Number(u.port || 80), server.port);
  release.provide({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: String(s3.existingSecret) },
    data: {
      AWS_ACCESS_KEY_ID: Buffer.from(S3RVER_CREDENTIALS.accessKeyId).toString('base64'),
      AWS_SECRET_ACCESS_KEY: Buffer.from(S3RVER_CREDENTIALS.secretAccessKey).toString('base64'),
    },
  });
  return { kind: 's3', where: `artifacts.s3 ${u.host}`, server };
}

export async function stopStandIn(s: StandIn): Promise<void> {
  if (s.kind === 'redis' || s.kind === 's3') await s.server.close();
  else if (s.kind === 'otlp') {
    await s.receiver.close();
    if (s.metrics) await new Promise<void>((resolve) => s.metrics!.close(() => resolve()));
  }
}

function run(argv: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => (clearTimeout(timer), resolve({ code: 127, output: e.message })));
    child.once('close', (code) => (clearTimeout(timer), resolve({ code: code ?? 1, output: output.trim() })));
  });
}

const WRONG_PASSWORD = 'chart-run-wrong-password';

/**
 * The Redis container's exec probes, run here against its stand-in (redis-cli is installed with
 * redis-server), with the container's env and its pod-local ports mapped: each must pass, and each must
 * fail when Redis answers with an error instead of PONG (a wrong password stands for NOAUTH, LOADING
 * during an AOF replay, MISCONF), or the probe cannot tell an unusable Redis from a healthy one.
 */
export async function checkRedisProbes(release: Release, net: Network, s: StandIn & { kind: 'redis' }): Promise<string[]> {
  if (!s.workload || !s.container) return [];
  const { workload, container } = s;
  const pod = net.pod(workload);
  const resolved = resolveEnv(release, workload, container, { name: `${workload.owner.metadata.name}-0`, namespace: release.namespace, ip: '127.0.0.1', nodeName: 'chart-run' });
  const checked: string[] = [];
  for (const name of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    const command = (container[name] as { exec?: { command: string[] } } | undefined)?.exec?.command;
    if (!command) continue;
    const where = `${s.where}: ${name} exec ${JSON.stringify(command)}`;
    // the probe runs in the pod: -p/--port name a pod-local port, wherever it appears (also in an sh -c script)
    const ports = new Map<string, number>();
    for (const m of command.join(' ').matchAll(/(?:-p|--port)\s*(\d+)/g)) ports.set(m[1]!, await pod.hostPort(Number(m[1])));
    if (/(?:^|\s)(?:-h|--host)\s*(?!127\.0\.0\.1|localhost)\S/.test(command.join(' '))) throw new Error(`${where}: a -h other than the pod itself is not modelled`);
    const mapped = command.map((a, i) => (/^\d+$/.test(a) && /^(-p|--port)$/.test(command[i - 1] ?? '') ? String(ports.get(a)) : a.replace(/((?:-p|--port)\s*)(\d+)/g, (_, f: string, n: string) => `${f}${ports.get(n)}`)));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...Object.fromEntries(resolved.env) };
    const timeoutMs = ((container[name] as { timeoutSeconds?: number }).timeoutSeconds ?? 1) * 1000 + 2000;
    const ok = await run(mapped, env, timeoutMs);
    if (ok.code !== 0) throw new WiringError(`${where}: exits ${ok.code} against a healthy Redis with the container's env: ${ok.output}`);
    const wrong = mapped.map((a, i) => (command[i - 1] === '-a' ? WRONG_PASSWORD : a));
    const refused = await run(wrong, { ...env, REDISCLI_AUTH: WRONG_PASSWORD }, timeoutMs);
    if (refused.code === 0) {
      throw new WiringError(
        `${where}: exits 0 when Redis refuses it (${refused.output.replace(/\s+/g, ' ')}): redis-cli reports a server error reply with exit 0 unless given -e, so the probe passes while Redis answers NOAUTH, LOADING or MISCONF; use redis-cli -e (Redis >= 7.0)`,
      );
    }
    checked.push(where);
  }
  return checked;
}
