import { ApiObject } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { KindSpecs, Templated, TemplatedObject } from './templated';

/** Object metadata whose labels/annotations may hold template markers. */
export type HelmMetadata = TemplatedObject<k8s.ObjectMeta> & { readonly name: string };

/** apiVersion of each kind the chart renders. */
export const API_VERSIONS = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  Service: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  CronJob: 'batch/v1',
  Pod: 'v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  Ingress: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  PersistentVolumeClaim: 'v1',
  ScaledObject: 'keda.sh/v1alpha1',
  TriggerAuthentication: 'keda.sh/v1alpha1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  PrometheusRule: 'monitoring.coreos.com/v1',
} as const satisfies Record<keyof KindSpecs, string>;

export type HelmKind = keyof KindSpecs;

/** The typed body of one kind: its top-level fields (spec, data, …) as `Templated` k8s interfaces. */
export type HelmBody<K extends HelmKind> = { readonly [F in keyof KindSpecs[K]]?: Templated<KindSpecs[K][F]> };

export interface HelmObjectOptions {
  /** Template file under `templates/` the object is written to (objects may share a file). */
  readonly template: string;
  /**
   * Helm condition (the text inside `{{- if ... }}`) under which the object is rendered.
   * @default always rendered
   */
  readonly condition?: string;
  /** Template lines rendered before the object (e.g. a validation include). */
  readonly preamble?: string;
}

export type HelmObjectProps<K extends HelmKind> = HelmBody<K> & HelmObjectOptions & { readonly kind: K; readonly metadata: HelmMetadata };

/** A Kubernetes object whose synthesized JSON becomes (part of) a Helm template; typed by its kind. */
export class HelmObject<K extends HelmKind = HelmKind> extends ApiObject {
  readonly template: string;
  readonly condition?: string;
  readonly preamble?: string;

  constructor(scope: Construct, id: string, props: HelmObjectProps<K>) {
    const { template, condition, preamble, kind, ...body } = props;
    super(scope, id, { ...(body as object), apiVersion: API_VERSIONS[kind], kind });
    if (!/^[a-z0-9-]+\.yaml$/.test(template)) throw new Error(`template file name "${template}" must be kebab-case .yaml`);
    this.template = template;
    if (condition !== undefined) this.condition = condition;
    if (preamble !== undefined) this.preamble = preamble;
  }
}
