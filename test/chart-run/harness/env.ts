import { expand } from './expand';
import type { Container, Release, Workload } from './release';
import { WiringError } from './wiring-error';

/** Facts about the pod that `fieldRef` can read. */
export interface PodFacts {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  readonly nodeName: string;
}

/** A container's environment as the kubelet builds it, in order, plus the container's argv expanded with it. */
export interface ContainerEnv {
  readonly env: Map<string, string>;
  /** names that some `$(NAME)` in this container refers to (helper variables count as used) */
  readonly referenced: Set<string>;
}

/** Data of a Secret (`data` decoded, `stringData` on top, as the API server merges them) or a ConfigMap. */
function objectData(release: Release, kind: 'Secret' | 'ConfigMap', name: string, where: string): Map<string, string> | undefined {
  const o = release.get(kind, name);
  if (!o) return undefined;
  const data = new Map<string, string>();
  if (kind === 'Secret') {
    for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, unknown>)) {
      if (typeof v !== 'string') throw new WiringError(`Secret ${name}: data.${k} is not a base64 string (${JSON.stringify(v)})`);
      data.set(k, Buffer.from(v, 'base64').toString('utf8'));
    }
    for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, unknown>)) data.set(k, String(v));
  } else {
    for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, unknown>)) {
      // the API server rejects a ConfigMap whose values are not strings (an unquoted number in a template)
      if (typeof v !== 'string') throw new WiringError(`ConfigMap ${name}: data.${k} is ${typeof v} ${JSON.stringify(v)}, not a string: the API server rejects it (${where})`);
      data.set(k, v);
    }
  }
  return data;
}

function keyRef(release: Release, kind: 'Secret' | 'ConfigMap', ref: { name: string; key: string; optional?: boolean }, where: string): string | undefined {
  const data = objectData(release, kind, ref.name, where);
  if (!data) {
    if (ref.optional) return undefined;
    throw new WiringError(`${where}: ${kind} ${ref.name} (key "${ref.key}") is not rendered by the chart`);
  }
  const value = data.get(ref.key);
  if (value === undefined && !ref.optional) {
    throw new WiringError(`${where}: ${kind} ${ref.name} has no key "${ref.key}" (keys: ${[...data.keys()].join(', ') || 'none'})`);
  }
  return value;
}

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/;
const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

function quantity(resource: string, q: string | number): number {
  const s = String(q);
  const m = resource.endsWith('cpu') ? CPU.exec(s) : MEMORY.exec(s);
  if (!m) throw new Error(`quantity ${s} of ${resource} is not modelled`);
  return resource.endsWith('cpu') ? Number(m[1]) / (m[2] === 'm' ? 1000 : 1) : Number(m[1]) * MEMORY_UNITS[m[2]!]!;
}

function fieldRef(fieldPath: string, workload: Workload, pod: PodFacts, where: string): string {
  const meta = workload.template.metadata;
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (label) return (label[1] === 'labels' ? meta.labels : meta.annotations)?.[label[2]!] ?? '';
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': `00000000-0000-0000-0000-${pod.name.length.toString().padStart(12, '0')}`,
    'spec.nodeName': pod.nodeName,
    'spec.serviceAccountName': String(workload.template.spec.serviceAccountName ?? 'default'),
    'status.hostIP': pod.ip,
    'status.podIP': pod.ip,
    'status.podIPs': pod.ip,
  };
  const v = fields[fieldPath];
  if (v === undefined) throw new WiringError(`${where}: fieldRef ${fieldPath} is not a field Kubernetes exposes (or not modelled here)`);
  return v;
}

function resourceFieldRef(ref: { resource: string; divisor?: string | number; containerName?: string }, workload: Workload, container: Container, where: string): string {
  const target = ref.containerName ? (workload.template.spec.containers as Container[]).find((c) => c.name === ref.containerName) : container;
  if (!target) throw new WiringError(`${where}: resourceFieldRef names container ${ref.containerName}, which the pod does not have`);
  const [kind, res] = ref.resource.split('.') as ['limits' | 'requests', string];
  const amount = (target.resources as any)?.[kind]?.[res];
  if (amount === undefined) throw new WiringError(`${where}: resourceFieldRef ${ref.resource} of container ${target.name} is not set (the node's allocatable would be used; not modelled)`);
  return String(Math.ceil(quantity(res, amount) / quantity(res, ref.divisor ?? 1)));
}

/** `Deployment/x container "api"`: how every message names a container. */
export function containerWhere(workload: Workload, container: Container): string {
  return `${workload.ref} container "${container.name}"`;
}

/**
 * The environment the kubelet gives `container`: `envFrom` sources in order (later ones win, with
 * `prefix`), then `env` in order, each `value` expanded against what came before, `valueFrom` read from the
 * rendered Secrets/ConfigMaps or the pod's fields. References Kubernetes would leave literal are a
 * WiringError here: a chart never means them.
 */
export function resolveEnv(release: Release, workload: Workload, container: Container, pod: PodFacts): ContainerEnv {
  const where = containerWhere(workload, container);
  const env = new Map<string, string>();
  const referenced = new Set<string>();
  const missing: string[] = [];

  for (const source of container.envFrom ?? []) {
    const [kind, ref] = source.configMapRef ? (['ConfigMap', source.configMapRef] as const) : source.secretRef ? (['Secret', source.secretRef] as const) : [undefined, undefined];
    if (!kind) throw new WiringError(`${where}: envFrom entry ${JSON.stringify(source)} has neither configMapRef nor secretRef`);
    const data = objectData(release, kind, ref.name, where);
    if (!data) {
      if (ref.optional) continue;
      throw new WiringError(`${where}: envFrom ${kind} ${ref.name} is not rendered by the chart`);
    }
    for (const [k, v] of data) env.set(`${source.prefix ?? ''}${k}`, v);
  }

  for (const e of container.env ?? []) {
    const at = `${where}: env ${e.name}`;
    if (e.value !== undefined && e.value !== '') {
      if (typeof e.value !== 'string') throw new WiringError(`${at}: value ${JSON.stringify(e.value)} is not a string: the API server rejects it`);
      env.set(
        e.name,
        expand(e.value, (n) => (referenced.add(n), env.get(n)), (n) => missing.push(`env ${e.name} refers to $(${n}), which is not defined before it`)),
      );
      continue;
    }
    const from = e.valueFrom;
    if (!from) {
      env.set(e.name, '');
      continue;
    }
    let value: string | undefined;
    if (from.secretKeyRef) value = keyRef(release, 'Secret', from.secretKeyRef, at);
    else if (from.configMapKeyRef) value = keyRef(release, 'ConfigMap', from.configMapKeyRef, at);
    else if (from.fieldRef) value = fieldRef(from.fieldRef.fieldPath, workload, pod, at);
    else if (from.resourceFieldRef) value = resourceFieldRef(from.resourceFieldRef, workload, container, at);
    else throw new WiringError(`${at}: valueFrom ${JSON.stringify(from)} is not modelled`);
    // an optional key that is missing leaves the variable unset
    if (value !== undefined) env.set(e.name, value);
  }

  if (missing.length) throw new WiringError(`${where}: ${missing.join('; ')} (Kubernetes would pass the text literally)`);
  return { env, referenced };
}

/** command/args expanded with the container's final environment, as the kubelet does. */
export function expandArgv(argv: readonly string[], resolved: ContainerEnv, where: string): string[] {
  const missing: string[] = [];
  const out = argv.map((a) => expand(a, (n) => (resolved.referenced.add(n), resolved.env.get(n)), (n) => missing.push(n)));
  if (missing.length) throw new WiringError(`${where}: command/args refer to ${missing.map((n) => `$(${n})`).join(', ')}, which the container's env does not define (Kubernetes would pass the text literally)`);
  return out;
}
