import { Construct } from 'constructs';
import { HelmObject } from './helm/helm-object';
import type { k8s } from 'cdk8s-plus-27';
import { block, include, splice, when } from './helm/template';
import type { TemplatedItem, TemplatedObject } from './helm/templated';
import type { BlockRef, LeafRef } from './helm/values-definition';
import { labels, metadata, resourceName, selectorLabels, STANDARD_LABEL_KEYS, type Component } from './names';

/** UID/GID of the application image (the Dockerfile creates this user). */
export const APP_UID = 10001;

export const TMP_VOLUME = 'tmp';

export interface ContainerProps {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: readonly { name: string; containerPort: number | string }[];
  readonly env?: readonly TemplatedItem<k8s.EnvVar>[];
  readonly envFrom?: readonly TemplatedItem<k8s.EnvFromSource>[];
  readonly resources: BlockRef;
  /** Probes; a long-running container must have readiness and liveness (checked by the tests). */
  readonly probes?: { readonly startupProbe?: TemplatedObject<k8s.Probe>; readonly readinessProbe?: TemplatedObject<k8s.Probe>; readonly livenessProbe?: TemplatedObject<k8s.Probe> };
  readonly volumeMounts?: readonly TemplatedItem<k8s.VolumeMount>[];
  /** @default APP_UID */
  readonly runAsUser?: number;
}

/**
 * A container that is secure by default: non-root with a fixed UID, read-only root filesystem with an
 * emptyDir at /tmp, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp.
 */
export function secureContainer(props: ContainerProps): TemplatedObject<k8s.Container> {
  const uid = props.runAsUser ?? APP_UID;
  return {
    name: props.name,
    image: props.image,
    imagePullPolicy: props.imagePullPolicy,
    ...(props.command ? { command: [...props.command] } : {}),
    ...(props.args ? { args: [...props.args] } : {}),
    ...(props.ports ? { ports: props.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' })) } : {}),
    ...(props.env?.length ? { env: [...props.env] } : {}),
    ...(props.envFrom?.length ? { envFrom: [...props.envFrom] } : {}),
    resources: props.resources.toYaml,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: TMP_VOLUME, mountPath: '/tmp' }, ...(props.volumeMounts ?? [])],
    ...(props.probes ?? {}),
  };
}

export interface Scheduling {
  readonly podAnnotations: BlockRef;
  readonly podLabels: BlockRef;
  readonly nodeSelector: BlockRef;
  readonly tolerations: BlockRef;
  readonly affinity: BlockRef;
  readonly topologySpreadConstraints: BlockRef;
  readonly priorityClassName: LeafRef;
}

/** What app-image components take besides the chart's settings (values `extraEnv`, …). */
export interface Extras {
  readonly extraEnv: BlockRef;
  readonly extraEnvFrom: BlockRef;
  readonly extraVolumes: BlockRef;
  readonly extraVolumeMounts: BlockRef;
}

export interface PodProps {
  readonly serviceAccountName: string;
  readonly containers: readonly TemplatedObject<k8s.Container>[];
  readonly volumes?: readonly TemplatedItem<k8s.Volume>[];
  readonly scheduling?: Scheduling;
  /** Extra volumes from values (`extraVolumes`). */
  readonly extraVolumes?: BlockRef;
  /**
   * Spread the pods softly over nodes when the user gives no topologySpreadConstraints.
   * @default no default spread
   */
  readonly spreadOverNodes?: Component;
  readonly terminationGracePeriodSeconds?: number | string;
  readonly restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  /** @default false: no API token in the pod */
  readonly automountServiceAccountToken?: boolean | string;
  /** @default APP_UID */
  readonly runAsUser?: number;
}

/** A soft spread over nodes: the scheduler prefers, never refuses (one-node dev clusters keep working). */
export function softNodeSpread(component: Component): TemplatedItem<k8s.TopologySpreadConstraint>[] {
  return [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(component) } }];
}

/** Pod spec: no service-account token, pod-level non-root security context, /tmp emptyDir. */
export function securePodSpec(props: PodProps): TemplatedObject<k8s.PodSpec> {
  const uid = props.runAsUser ?? APP_UID;
  const sch = props.scheduling;
  const spread = sch?.topologySpreadConstraints;
  return {
    serviceAccountName: props.serviceAccountName,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      fsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    imagePullSecrets: when('include "pca-agent.imagePullSecrets" .', block('include "pca-agent.imagePullSecrets" .')),
    ...(props.restartPolicy ? { restartPolicy: props.restartPolicy } : {}),
    ...(props.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: props.terminationGracePeriodSeconds } : {}),
    ...(sch
      ? {
          priorityClassName: when(sch.priorityClassName.expr, sch.priorityClassName.text),
          nodeSelector: sch.nodeSelector.toYaml,
          tolerations: sch.tolerations.toYaml,
          affinity: sch.affinity.toYaml,
          topologySpreadConstraints: props.spreadOverNodes
            ? when(spread!.expr, spread!.toYaml, softNodeSpread(props.spreadOverNodes))
            : when(spread!.expr, spread!.toYaml),
        }
      : {}),
    containers: [...props.containers],
    volumes: [
      { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
      ...(props.volumes ?? []),
      ...(props.extraVolumes ? [splice(`include "pca-agent.toYamlIfAny" ${props.extraVolumes.expr}`)] : []),
    ],
  };
}

/** `(include (print $.Template.BasePath "/<file>") . | sha256sum)`: changes whenever that template renders differently. */
export function checksumOf(template: string): string {
  return `(include (print $.Template.BasePath "/${template}") . | sha256sum)`;
}

/**
 * Annotations the chart puts on a pod, as template expressions: `checksums` (template file per key, e.g.
 * `checksum/config`), `fixed` values, and `unless` pairs rendered only when the condition is false.
 */
export interface ChartPodAnnotations {
  readonly checksums?: Record<string, string>;
  readonly fixed?: Record<string, string>;
  readonly unless?: { readonly condition: string; readonly annotations: Record<string, string> };
}

function dictExpr(entries: Record<string, string>): string {
  return `(dict ${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)} ${v}`).join(' ')})`;
}

/** Pod template metadata: labels (chart's, then the user's podLabels) and the merged annotations. */
export function podMetadata(
  component: Component,
  scheduling: Pick<Scheduling, 'podAnnotations' | 'podLabels'> | undefined,
  chart: ChartPodAnnotations = {},
  extraLabels: Record<string, string> = {},
): TemplatedObject<k8s.ObjectMeta> {
  const parts: string[] = [];
  const quoted = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, JSON.stringify(v)]));
  const always = { ...Object.fromEntries(Object.entries(chart.checksums ?? {}).map(([k, t]) => [k, checksumOf(t)])), ...quoted(chart.fixed ?? {}) };
  parts.push(dictExpr(always));
  if (chart.unless) parts.push(`(ternary (dict) ${dictExpr(quoted(chart.unless.annotations))} ${chart.unless.condition})`);
  const chartDict = parts.length === 1 ? parts[0]! : `(merge ${parts.join(' ')})`;
  const user = scheduling ? scheduling.podAnnotations.expr : '(dict)';
  const podLabels = scheduling
    ? { ...splice(`include "pca-agent.toYamlIfAny" (omit ${scheduling.podLabels.expr} ${STANDARD_LABEL_KEYS.map((k) => JSON.stringify(k)).join(' ')})`) }
    : {};
  return {
    labels: { ...labels(component, extraLabels), ...podLabels },
    annotations: { ...splice(`include "pca-agent.podAnnotations" (dict "chart" ${chartDict} "user" ${user})`) },
  };
}

export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold: number): TemplatedObject<k8s.Probe> {
  return { httpGet: { path, port }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}

/** The three probes every long-running HTTP service gets. */
export function httpProbes(port: string, health: string, ready: string) {
  return {
    startupProbe: httpProbe(health, port, 2, 30),
    readinessProbe: httpProbe(ready, port, 5, 3),
    livenessProbe: httpProbe(health, port, 10, 3),
  };
}

/** One ServiceAccount per third-party component (Redis, Collector, Jaeger), without an API token. */
export class ComponentServiceAccount extends Construct {
  readonly name: string;
  constructor(scope: Construct, id: string, props: { component: Component; suffix: string; template: string; condition?: string }) {
    super(scope, id);
    this.name = resourceName(props.suffix);
    new HelmObject(this, 'sa', {
      kind: 'ServiceAccount',
      metadata: metadata(this.name, props.component),
      automountServiceAccountToken: false,
      template: props.template,
      ...(props.condition ? { condition: props.condition } : {}),
    });
  }
}

export interface ServiceProps {
  readonly name: string;
  readonly component: Component;
  readonly ports: readonly { name: string; port: number | string; targetPort: string }[];
  readonly type?: LeafRef;
  /** Service annotations from values. */
  readonly annotations?: BlockRef;
  /** `clusterIP: None` (a StatefulSet's governing Service). */
  readonly headless?: boolean;
  /** Also route to pods that are not ready (a StatefulSet's peers find each other before they are). */
  readonly publishNotReadyAddresses?: boolean;
  readonly template: string;
  readonly condition?: string;
}

/** ClusterIP (or typed) Service selecting one component's pods. */
export function componentService(scope: Construct, id: string, props: ServiceProps): HelmObject {
  return new HelmObject(scope, id, {
    kind: 'Service',
    metadata: metadata(props.name, props.component, props.annotations ? { annotations: props.annotations } : {}),
    spec: {
      type: props.type ? props.type.text : 'ClusterIP',
      ...(props.headless ? { clusterIP: 'None' } : {}),
      ...(props.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
      selector: selectorLabels(props.component),
      ports: props.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP' })),
    },
    template: props.template,
    ...(props.condition ? { condition: props.condition } : {}),
  });
}

export const APP_IMAGE = include('pca-agent.image');

/** A third-party image from its values group (`redis.image`, …): registry/repository:tag@digest, global registry honoured. */
export function imageOf(group: { readonly $expr: string }): string {
  return `{{ include "pca-agent.imageRef" (dict "image" ${group.$expr} "context" $) }}`;
}
