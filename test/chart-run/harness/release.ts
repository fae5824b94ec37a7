import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, helm, parseManifests, scenarios, type K8sObject } from '../../chart/helm';

/** CRDs a cluster may have: rendering with them turns on the ScaledObject and the ServiceMonitor. */
export const CLUSTER_CRDS = ['keda.sh/v1alpha1/ScaledObject', 'monitoring.coreos.com/v1/ServiceMonitor', 'gateway.networking.k8s.io/v1/HTTPRoute'] as const;

export interface Scenario {
  readonly name: string;
  /** `-f` files, in order */
  readonly valuesFiles: readonly string[];
}

/** The defaults plus every charts/pca-agent/ci/*.yaml, as test/chart/helm.ts lists them. */
export function chartScenarios(): Scenario[] {
  return scenarios().map((s) => {
    const files: string[] = [];
    for (let i = 0; i < s.args.length; i++) {
      if (s.args[i] !== '-f') throw new Error(`scenario ${s.name}: only -f arguments are modelled, got ${s.args[i]}`);
      files.push(s.args[++i]!);
    }
    return { name: s.name, valuesFiles: files };
  });
}

export interface PodTemplate {
  metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: any;
}

/** How a workload runs: `service` stays up (Deployment, StatefulSet), `job` runs to exit, `test` is a helm test hook. */
export type WorkloadKind = 'service' | 'job' | 'test';

export interface Workload {
  /** e.g. `Deployment/rel-pca-agent-api` */
  readonly ref: string;
  readonly owner: K8sObject;
  readonly kind: WorkloadKind;
  readonly template: PodTemplate;
  /** Replicas the release asks for (autoscaled workloads count as at least 1). */
  readonly replicas: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: any[];
  envFrom?: any[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  readinessProbe?: any;
  livenessProbe?: any;
  startupProbe?: any;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  [k: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** A metav1.LabelSelector, as the API server evaluates it (an empty selector matches everything). */
export function labelSelectorMatches(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  if (!Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => l[k] === v)) return false;
  return (sel?.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case 'In':
        return e.key in l && (e.values ?? []).includes(l[e.key]!);
      case 'NotIn':
        return !(e.key in l) || !(e.values ?? []).includes(l[e.key]!);
      case 'Exists':
        return e.key in l;
      case 'DoesNotExist':
        return !(e.key in l);
      default:
        throw new Error(`label selector operator ${String(e.operator)} is not valid`);
    }
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(from)) {
    into[k] = isObject(v) && isObject(into[k]) ? merge({ ...(into[k]) }, v) : v;
  }
  return into;
}

/** One `helm template` of the chart, with its objects indexed. */
export class Release {
  readonly byRef = new Map<string, K8sObject>();

  constructor(
    readonly scenario: Scenario,
    readonly name: string,
    readonly namespace: string,
    readonly objects: K8sObject[],
    /** values.yaml merged with the scenario's files, as helm merges them */
    readonly values: Record<string, any>,
  ) {
    for (const o of objects) {
      const ref = `${o.kind}/${o.metadata.name}`;
      if (this.byRef.has(ref)) throw new Error(`${scenario.name}: ${ref} is rendered twice`);
      this.byRef.set(ref, o);
    }
  }

  /** A deep copy to mutate (tests of the harness break one piece of wiring at a time). */
  clone(): Release {
    return new Release(this.scenario, this.name, this.namespace, structuredClone(this.objects), structuredClone(this.values));
  }

  get(kind: string, name: string): any {
    return this.byRef.get(`${kind}/${name}`);
  }

  /** An object the user creates before installing (a Secret an existingSecret value names); not part of the render. */
  provide(object: K8sObject): void {
    this.byRef.set(`${object.kind}/${object.metadata.name}`, object);
  }

  ofKind(kind: string): any[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  /**
   * The project's image name as the chart renders it (`[global.imageRegistry or image.registry/]image.repository`):
   * containers of it are run, others stood in for.
   */
  get appImageRepository(): string {
    const repository = String(this.values.image?.repository ?? '');
    const registry = String(this.values.global?.imageRegistry || this.values.image?.registry || '');
    return repository && registry ? `${registry}/${repository}` : repository;
  }

  isAppImage(container: Container): boolean {
    const repo = this.appImageRepository;
    return repo !== '' && (container.image.startsWith(`${repo}:`) || container.image.startsWith(`${repo}@`) || container.image === repo);
  }

  /** Every pod template, classified; objects that make pods in ways this harness does not model fail loudly. */
  workloads(): Workload[] {
    const scaled = new Set<string>();
    for (const so of this.ofKind('ScaledObject')) scaled.add(`${so.spec.scaleTargetRef.kind ?? 'Deployment'}/${so.spec.scaleTargetRef.name}`);
    for (const hpa of this.ofKind('HorizontalPodAutoscaler')) scaled.add(`${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}`);
    const out: Workload[] = [];
    for (const o of this.objects as any[]) {
      const ref = `${o.kind}/${o.metadata.name}`;
      const hook = o.metadata.annotations?.['helm.sh/hook'] as string | undefined;
      if (hook && hook.split(',').some((h) => h.trim() !== 'test')) throw new Error(`${ref}: helm hook "${hook}" is not modelled by the chart-run harness; extend it`);
      switch (o.kind) {
        case 'Deployment':
        case 'StatefulSet': {
          const replicas = o.spec.replicas ?? 1;
          out.push({ ref, owner: o, kind: 'service', template: o.spec.template, replicas: scaled.has(ref) ? Math.max(1, replicas) : replicas });
          break;
        }
        case 'CronJob':
          out.push({ ref, owner: o, kind: 'job', template: o.spec.jobTemplate.spec.template, replicas: 1 });
          break;
        case 'Job':
          out.push({ ref, owner: o, kind: hook ? 'test' : 'job', template: o.spec.template, replicas: 1 });
          break;
        case 'Pod':
          if (!hook) throw new Error(`${ref}: a bare Pod outside a helm test hook is not modelled; extend the harness`);
          out.push({ ref, owner: o, kind: 'test', template: { metadata: o.metadata, spec: o.spec }, replicas: 1 });
          break;
        case 'DaemonSet':
        case 'ReplicaSet':
        case 'ReplicationController':
          throw new Error(`${ref}: ${o.kind} is not modelled by the chart-run harness; extend it`);
        default:
      }
    }
    return out;
  }
}

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** `--api-versions` to pass; default: the cluster CRDs (KEDA, ServiceMonitor) */
  readonly apiVersions?: readonly string[];
}

/** `helm template <release> charts/pca-agent -f <files> --namespace <ns> --api-versions ...` with the real helm. */
export function renderRelease(scenario: Scenario, opts: RenderOptions = {}): Release {
  const release = opts.release ?? 'rel';
  const namespace = opts.namespace ?? 'pca';
  const apiVersions = opts.apiVersions ?? CLUSTER_CRDS;
  const args = ['template', release, CHART_DIR, '--namespace', namespace, ...scenario.valuesFiles.flatMap((f) => ['-f', f]), ...apiVersions.flatMap((a) => ['--api-versions', a])];
  const r = helm(args);
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${r.stderr}`);
  let values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  for (const f of scenario.valuesFiles) values = merge(values, (parse(readFileSync(f, 'utf8')) as Record<string, unknown> | null) ?? {});
  return new Release(scenario, release, namespace, parseManifests(r.stdout), values);
}
