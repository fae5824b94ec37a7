import { posix } from 'node:path';
import { parse } from 'yaml';
import { RedisServer } from '../../helpers/processes';
import { startOtlpReceiver, type OtlpReceiver } from '../../helpers/otlp-receiver';
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
  | { readonly kind: 'redis'; readonly where: string; readonly server: RedisServer }
  | { readonly kind: 'otlp'; readonly where: string; readonly receiver: OtlpReceiver }
  | { readonly kind: 'none'; readonly where: string; readonly image: string };

export function standInKind(image: string): StandIn['kind'] {
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
    return { kind, where, server: await RedisServer.start({ aof: false, port: await podNet.hostPort(port), password }) };
  }
  const configPath = flag(argv, '--config');
  if (!configPath) throw new WiringError(`${where}: no --config argument: where the OTLP receiver listens is unknown`);
  const config = parse(mountedFile(release, workload, container, configPath, where)) as unknown;
  const port = otlpHttpPort(config, `${where} (${configPath})`);
  return { kind, where, receiver: await startOtlpReceiver({ protobuf: true, port: await podNet.hostPort(port) }) };
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

export async function stopStandIn(s: StandIn): Promise<void> {
  if (s.kind === 'redis') await s.server.close();
  else if (s.kind === 'otlp') await s.receiver.close();
}
