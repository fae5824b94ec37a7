import { ReleaseNotFoundError } from './errors';
import type { KubeClient } from './kube-client';
import type { ScaledObject, V1CronJob, V1Deployment, V1Job, V1Pod, V1Service, V1StatefulSet, V2HorizontalPodAutoscaler } from './kube';

export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const TASK_LABEL = 'pca-agent.io/task';
export const CHART_NAME = 'pca-agent';
export const DEFAULT_RELEASE = 'pca-agent';

/** The label selector of every object of a release (the chart puts both labels on everything). */
export function releaseSelector(release: string, extra: Record<string, string> = {}): string {
  return Object.entries({ [NAME_LABEL]: CHART_NAME, [INSTANCE_LABEL]: release, ...extra })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function componentOf(obj: { metadata?: { labels?: Record<string, string> } }): string {
  return obj.metadata?.labels?.[COMPONENT_LABEL] ?? '-';
}

/** Everything `status` looks at, fetched in parallel. */
export interface ReleaseObjects {
  readonly deployments: V1Deployment[];
  readonly statefulSets: V1StatefulSet[];
  readonly cronJobs: V1CronJob[];
  readonly jobs: V1Job[];
  readonly pods: V1Pod[];
  readonly services: V1Service[];
  readonly scaledObjects: ScaledObject[];
  readonly hpas: V2HorizontalPodAutoscaler[];
}

const isNotFound = (err: unknown): boolean => (err as { code?: unknown } | undefined)?.code === 404;

/** KEDA's ScaledObjects; an empty list when the CRD is not installed (the API answers 404). */
export async function listScaledObjects(client: KubeClient, release: string): Promise<ScaledObject[]> {
  try {
    const list = (await client.custom.listNamespacedCustomObject({
      group: 'keda.sh',
      version: 'v1alpha1',
      namespace: client.namespace,
      plural: 'scaledobjects',
      labelSelector: releaseSelector(release),
    })) as { items?: ScaledObject[] };
    return list.items ?? [];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export async function listDeployments(client: KubeClient, release: string): Promise<V1Deployment[]> {
  const list = await client.apps.listNamespacedDeployment({ namespace: client.namespace, labelSelector: releaseSelector(release) });
  return list.items;
}

export async function listStatefulSets(client: KubeClient, release: string): Promise<V1StatefulSet[]> {
  const list = await client.apps.listNamespacedStatefulSet({ namespace: client.namespace, labelSelector: releaseSelector(release) });
  return list.items;
}

export async function fetchRelease(client: KubeClient, release: string): Promise<ReleaseObjects> {
  const namespace = client.namespace;
  const labelSelector = releaseSelector(release);
  const [deployments, statefulSets, cronJobs, allJobs, pods, services, scaledObjects, allHpas] = await Promise.all([
    listDeployments(client, release),
    listStatefulSets(client, release),
    client.batch.listNamespacedCronJob({ namespace, labelSelector }).then((l) => l.items),
    client.batch.listNamespacedJob({ namespace }).then((l) => l.items),
    client.core.listNamespacedPod({ namespace, labelSelector }).then((l) => l.items),
    client.core.listNamespacedService({ namespace, labelSelector }).then((l) => l.items),
    listScaledObjects(client, release),
    client.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }).then((l) => l.items),
  ]);
  if (deployments.length === 0 && statefulSets.length === 0 && cronJobs.length === 0 && services.length === 0) {
    throw new ReleaseNotFoundError(
      `Release "${release}" not found in namespace "${namespace}": nothing is labelled ${labelSelector}; check --namespace and --release (\`helm list -A\` lists releases).`,
    );
  }
  const cronUids = new Set(cronJobs.map((c) => c.metadata?.uid));
  const jobs = allJobs.filter((j) => j.metadata?.ownerReferences?.some((o) => o.kind === 'CronJob' && cronUids.has(o.uid)));
  const deploymentNames = new Set(deployments.map((d) => d.metadata?.name));
  // KEDA's own HPAs are reported through their ScaledObject.
  const hpas = allHpas.filter(
    (h) => deploymentNames.has(h.spec?.scaleTargetRef.name) && !h.metadata?.ownerReferences?.some((o) => o.kind === 'ScaledObject'),
  );
  return { deployments, statefulSets, cronJobs, jobs, pods, services, scaledObjects, hpas };
}
