import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureTools } from '../../scripts/setup-tools';
import type { K8sObject } from '../helpers/fake-kube-api';
import { rolledOutStatus } from './objects';

export const CHART_DIR = join(__dirname, '..', '..', 'charts', 'pca-agent');
export const chartExists = (): boolean => existsSync(join(CHART_DIR, 'Chart.yaml'));

/** `helm template` of the real chart (KEDA's API announced, as on a cluster that has it), parsed; helm test pods only when asked. */
export function renderChart(release: string, namespace: string, args: string[] = [], opts: { tests?: boolean } = {}): K8sObject[] {
  const { helm } = ensureTools();
  const out = execFileSync(
    helm,
    ['template', release, CHART_DIR, '--namespace', namespace, ...(opts.tests ? [] : ['--skip-tests']), '--api-versions', 'keda.sh/v1alpha1', '--api-versions', 'keda.sh/v1alpha1/ScaledObject', ...args],
    { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 },
  );
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o?.kind)
    .map((o) => ({ ...o, metadata: { namespace, ...o.metadata } }));
}

/** The release's objects as `helm template` renders them from charts/pca-agent (run `npm run synth` if it is missing). */
export function releaseManifests(release: string, namespace: string): { source: 'chart'; objects: K8sObject[] } {
  if (!chartExists()) throw new Error(`${CHART_DIR} is missing: run \`npm run synth\` to generate the chart`);
  return { source: 'chart', objects: renderChart(release, namespace) };
}

type PodTemplate = { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Array<{ name: string }> } };

/**
 * What a cluster would report once the manifests settled: workloads rolled out and ready with one pod per
 * replica (labels and containers from the pod template), ScaledObjects ready, CronJobs scheduled.
 */
export function settle(manifests: K8sObject[], now = new Date()): K8sObject[] {
  const out: K8sObject[] = [];
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
  const podOf = (name: string, namespace: string | undefined, template: PodTemplate, ownerKind: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { ...template.metadata?.labels }, ownerReferences: [{ apiVersion: 'apps/v1', kind: ownerKind, name: `${name}-owner`, uid: `${name}-owner` }], creationTimestamp: minutesAgo(30) },
    spec: template.spec,
    status: {
      phase: 'Running',
      startTime: minutesAgo(30),
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
      containerStatuses: (template.spec?.containers ?? []).map((c) => ({ name: c.name, image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: minutesAgo(30) } } })),
    },
  });
  for (const m of manifests) {
    const o = structuredClone(m);
    const spec = (o.spec ?? {}) as { replicas?: number; template?: PodTemplate };
    if (o.kind === 'Deployment') {
      // The API server defaults spec.replicas to 1; an idle KEDA ScaledObject with minReplicaCount 0 then scales to 0.
      const scaledObject = manifests.find((x) => x.kind === 'ScaledObject' && (x.spec as { scaleTargetRef?: { name?: string } }).scaleTargetRef?.name === o.metadata?.name);
      const replicas = scaledObject ? ((scaledObject.spec as { minReplicaCount?: number }).minReplicaCount ?? 0) : (spec.replicas ?? 1);
      o.spec = { ...spec, replicas };
      o.metadata = { ...o.metadata, generation: 1 };
      o.status = rolledOutStatus(replicas, 1);
      for (let i = 0; i < replicas; i++) out.push(podOf(`${o.metadata.name}-5d8f9c7b6-${'abcdefgh'[i]}x2kq`, o.metadata.namespace, spec.template ?? {}, 'ReplicaSet'));
    } else if (o.kind === 'StatefulSet') {
      const replicas = spec.replicas ?? 1;
      o.metadata = { ...o.metadata, generation: 1 };
      const rev = `${o.metadata.name}-6c9d`;
      o.status = { observedGeneration: 1, replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas, currentRevision: rev, updateRevision: rev };
      for (let i = 0; i < replicas; i++) out.push(podOf(`${o.metadata.name}-${i}`, o.metadata.namespace, spec.template ?? {}, 'StatefulSet'));
    } else if (o.kind === 'ScaledObject') {
      o.status = { hpaName: `keda-hpa-${o.metadata?.name}`, conditions: [{ type: 'Ready', status: 'True', reason: 'ScaledObjectReady' }, { type: 'Active', status: 'False' }, { type: 'Fallback', status: 'False' }] };
    } else if (o.kind === 'CronJob') {
      o.status = { lastScheduleTime: minutesAgo(5), lastSuccessfulTime: minutesAgo(5) };
    }
    out.push(o);
  }
  return out;
}
