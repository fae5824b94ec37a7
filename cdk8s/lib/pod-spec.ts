import { Construct } from 'constructs';
import { HelmObject } from './helm/helm-object';
import { include, splice, when, type Json } from './helm/template';
import type { BlockRef, LeafRef } from './helm/values-definition';
import { labels, metadata, resourceName, selectorLabels, type Component } from './names';

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
  readonly env?: readonly Json[];
  readonly envFrom?: readonly Json[];
  readonly resources: BlockRef;
  /** Probes; a long-running container must have readiness and liveness (checked by the tests). */
  readonly probes?: { readonly startupProbe?: Json; readonly readinessProbe?: Json; readonly livenessProbe?: Json };
  readonly volumeMounts?: readonly Json[];
  readonly lifecycle?: Json;
  /** @default APP_UID */
  readonly runAsUser?: number;
}

/**
 * A container that is secure by default: non-root with a fixed UID, read-only root filesystem with an
 * emptyDir at /tmp, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp.
 */
export function secureContainer(props: ContainerProps): { [k: string]: Json } {
  const uid = props.runAsUser ?? APP_UID;
  const c: { [k: string]: Json } = {
    name: props.name,
    image: props.image,
    imagePullPolicy: props.imagePullPolicy,
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
  };
  if (props.command) c.command = [...props.command];
  if (props.args) c.args = [...props.args];
  if (props.ports) c.ports = props.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' }));
  if (props.env?.length) c.env = [...props.env];
  if (props.envFrom?.length) c.envFrom = [...props.envFrom];
  if (props.lifecycle) c.lifecycle = props.lifecycle;
  Object.assign(c, props.probes ?? {});
  return c;
}

export interface Scheduling {
  readonly podAnnotations: BlockRef;
  readonly nodeSelector: BlockRef;
  readonly tolerations: BlockRef;
  readonly affinity: BlockRef;
}

export interface PodProps {
  readonly serviceAccountName: string;
  readonly containers: readonly Json[];
  readonly volumes?: readonly Json[];
  readonly scheduling?: Scheduling;
  readonly imagePullSecrets?: BlockRef;
  readonly terminationGracePeriodSeconds?: number | string;
  readonly restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  /** @default APP_UID */
  readonly runAsUser?: number;
}

/** Pod spec: no service-account token, pod-level non-root security context, /tmp emptyDir. */
export function securePodSpec(props: PodProps): { [k: string]: Json } {
  const uid = props.runAsUser ?? APP_UID;
  const spec: { [k: string]: Json } = {
    serviceAccountName: props.serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      fsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [...props.containers],
    volumes: [{ name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } }, ...(props.volumes ?? [])],
  };
  if (props.imagePullSecrets) spec.imagePullSecrets = props.imagePullSecrets.toYaml;
  if (props.restartPolicy) spec.restartPolicy = props.restartPolicy;
  if (props.terminationGracePeriodSeconds !== undefined) spec.terminationGracePeriodSeconds = props.terminationGracePeriodSeconds;
  if (props.scheduling) {
    spec.nodeSelector = props.scheduling.nodeSelector.toYaml;
    spec.tolerations = props.scheduling.tolerations.toYaml;
    spec.affinity = props.scheduling.affinity.toYaml;
  }
  return spec;
}

/** Pod template metadata: standard labels and the annotations that roll pods when config changes. */
export function podMetadata(
  component: Component,
  podAnnotations: BlockRef | undefined,
  annotations: { [k: string]: Json } = {},
  extraLabels: Record<string, string> = {},
): { [k: string]: Json } {
  const some = Object.keys(annotations).length > 0;
  if (!podAnnotations) return some ? { labels: labels(component, extraLabels), annotations } : { labels: labels(component, extraLabels) };
  const all = some
    ? { ...splice(`include "pca-agent.toYamlIfAny" ${podAnnotations.expr}`), ...annotations }
    : when(podAnnotations.expr, podAnnotations.toYaml);
  return { labels: labels(component, extraLabels), annotations: all };
}

export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold: number): Json {
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

/** One ServiceAccount per component, without an API token. */
export class ComponentServiceAccount extends Construct {
  readonly name: string;
  constructor(scope: Construct, id: string, props: { component: Component; suffix: string; template: string; condition?: string }) {
    super(scope, id);
    this.name = resourceName(props.suffix);
    new HelmObject(this, 'sa', {
      apiVersion: 'v1',
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
  readonly template: string;
  readonly condition?: string;
}

/** ClusterIP (or typed) Service selecting one component's pods. */
export function componentService(scope: Construct, id: string, props: ServiceProps): HelmObject {
  return new HelmObject(scope, id, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(props.name, props.component),
    spec: {
      type: props.type ? props.type.text : 'ClusterIP',
      selector: selectorLabels(props.component),
      ports: props.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP' })),
    },
    template: props.template,
    ...(props.condition ? { condition: props.condition } : {}),
  });
}

export const APP_IMAGE = include('pca-agent.image');
