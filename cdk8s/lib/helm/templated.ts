import type { k8s } from 'cdk8s-plus-27';

/** `when(cond, then, else)`: a map value or list item rendered only when a Helm condition holds. */
export interface HelmIf<T> {
  readonly $helmIf: string;
  readonly then: T;
  readonly else?: T;
}

/** `block(expr)`: a value a template function renders (`toYaml .Values.x`). */
export interface HelmBlock {
  readonly $helmBlock: string;
}

/** `splice(expr)`: the lines a template produces, spliced into the surrounding map or list. */
export type HelmSplice = { readonly [key: `$helm:${string}`]: true };

/** What a list may hold besides its items: guarded items and spliced items. */
export type TemplatedItem<E> = Templated<E> | HelmIf<Templated<E>> | HelmSplice;
type ListItem<E> = TemplatedItem<E>;

/** A string map (labels, annotations, ConfigMap data) whose values may be templates and whose entries may be splices. */
export type TemplatedMap = TemplatedObject<{ [key: string]: string }>;

/**
 * A Kubernetes type whose leaves may be Helm template strings (`{{ .Values.api.replicaCount }}`) and whose
 * maps and lists may hold the markers of `template.ts`. Field names stay exactly those of the `k8s.*`
 * interfaces, so a misspelt field is a type error (an object literal with an unknown key).
 */
export type Templated<T> = T extends k8s.Quantity | k8s.IntOrString
  ? string | number | HelmIf<string | number>
  : T extends string | number | boolean
    ? T | string | HelmIf<T | string>
    : T extends readonly (infer E)[]
      ? readonly ListItem<E>[] | HelmBlock | HelmIf<readonly ListItem<E>[] | HelmBlock>
      : T extends object
        ? TemplatedObject<T> | HelmBlock | HelmIf<TemplatedObject<T> | HelmBlock>
        : T;

/** A map with known keys (plus spliced lines), or a free-form string map whose entries may be splices too. */
export type TemplatedObject<T> = string extends keyof T
  ? { readonly [key: string]: Templated<T[string & keyof T]> | true | undefined }
  : { readonly [K in keyof T]?: Templated<T[K]> } & HelmSplice;

/** Kubernetes object shapes (spec and the other top-level fields, not metadata) per kind. */
export interface KindSpecs {
  Deployment: Omit<k8s.KubeDeploymentProps, 'metadata'>;
  StatefulSet: Omit<k8s.KubeStatefulSetProps, 'metadata'>;
  Service: Omit<k8s.KubeServiceProps, 'metadata'>;
  ServiceAccount: Omit<k8s.KubeServiceAccountProps, 'metadata'>;
  ConfigMap: Omit<k8s.KubeConfigMapProps, 'metadata'>;
  Secret: Omit<k8s.KubeSecretProps, 'metadata'>;
  CronJob: Omit<k8s.KubeCronJobProps, 'metadata'>;
  Pod: Omit<k8s.KubePodProps, 'metadata'>;
  HorizontalPodAutoscaler: Omit<k8s.KubeHorizontalPodAutoscalerV2Props, 'metadata'>;
  PodDisruptionBudget: Omit<k8s.KubePodDisruptionBudgetProps, 'metadata'>;
  Ingress: Omit<k8s.KubeIngressProps, 'metadata'>;
  NetworkPolicy: Omit<k8s.KubeNetworkPolicyProps, 'metadata'>;
  PersistentVolumeClaim: Omit<k8s.KubePersistentVolumeClaimProps, 'metadata'>;
  ScaledObject: { spec: ScaledObjectSpec };
  TriggerAuthentication: { spec: TriggerAuthenticationSpec };
  ServiceMonitor: { spec: ServiceMonitorSpec };
  HTTPRoute: { spec: HTTPRouteSpec };
  PrometheusRule: { spec: PrometheusRuleSpec };
}

/** The parts of KEDA's ScaledObject the chart uses (keda.sh/v1alpha1; @kubernetes-models/keda validates the rest). */
export interface ScaledObjectSpec {
  readonly scaleTargetRef: { readonly name: string; readonly kind?: string; readonly apiVersion?: string };
  readonly minReplicaCount?: number;
  readonly maxReplicaCount?: number;
  readonly pollingInterval?: number;
  readonly cooldownPeriod?: number;
  readonly triggers: readonly {
    readonly type: string;
    readonly name?: string;
    readonly metadata: { readonly [key: string]: string };
    readonly authenticationRef?: { readonly name: string };
  }[];
}

export interface TriggerAuthenticationSpec {
  readonly secretTargetRef?: readonly { readonly parameter: string; readonly name: string; readonly key: string }[];
}

/** gateway.networking.k8s.io/v1 HTTPRoute, the fields the chart sets (@kubernetes-models/gateway-api validates the rest). */
export interface HTTPRouteSpec {
  readonly parentRefs?: readonly { readonly name: string; readonly namespace?: string; readonly sectionName?: string }[];
  readonly hostnames?: readonly string[];
  readonly rules?: readonly {
    readonly matches?: readonly { readonly path?: { readonly type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value?: string } }[];
    readonly filters?: readonly { readonly type: string }[];
    readonly backendRefs?: readonly { readonly name: string; readonly port?: number }[];
  }[];
}

/** monitoring.coreos.com/v1 ServiceMonitor, the fields the chart sets. */
export interface ServiceMonitorSpec {
  readonly selector: k8s.LabelSelector;
  readonly endpoints: readonly { readonly port: string; readonly path?: string; readonly interval?: string }[];
}

/** monitoring.coreos.com/v1 PrometheusRule: Prometheus rule groups, as in a rule file. */
export interface PrometheusRuleSpec {
  readonly groups: readonly {
    readonly name: string;
    readonly interval?: string;
    readonly rules: readonly {
      readonly alert?: string;
      readonly record?: string;
      readonly expr: string;
      readonly for?: string;
      readonly labels?: { readonly [key: string]: string };
      readonly annotations?: { readonly [key: string]: string };
    }[];
  }[];
}
