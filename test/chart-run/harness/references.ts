import { labelSelectorMatches, type Release, type Workload } from './release';
import { WiringError } from './wiring-error';

/*
 * Names that must point at a rendered object or the pod never starts (ServiceAccount, ConfigMap and
 * Secret volumes) or the autoscaler/PDB acts on nothing (scaleTargetRef, PDB selector). Env sources are
 * checked where the env is resolved (env.ts), Services where they are routed (network.ts).
 */

function checkVolumes(release: Release, w: Workload): void {
  for (const v of (w.template.spec.volumes ?? []) as any[]) {
    const sources: { kind: 'ConfigMap' | 'Secret'; name: string; optional?: boolean; items?: { key: string }[] }[] = [];
    if (v.configMap) sources.push({ kind: 'ConfigMap', ...v.configMap });
    if (v.secret) sources.push({ kind: 'Secret', name: v.secret.secretName, optional: v.secret.optional, items: v.secret.items });
    for (const p of v.projected?.sources ?? []) {
      if (p.configMap) sources.push({ kind: 'ConfigMap', ...p.configMap });
      if (p.secret) sources.push({ kind: 'Secret', ...p.secret });
    }
    for (const s of sources) {
      const o = release.get(s.kind, s.name);
      const where = `${w.ref} volume "${v.name}"`;
      if (!o) {
        if (s.optional) continue;
        throw new WiringError(`${where}: ${s.kind} ${s.name} is not rendered (the pod would wait in ContainerCreating)`);
      }
      const keys = new Set([...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {}), ...Object.keys(o.binaryData ?? {})]);
      for (const item of s.items ?? []) {
        if (!keys.has(item.key) && !s.optional) throw new WiringError(`${where}: ${s.kind} ${s.name} has no key "${item.key}" (keys: ${[...keys].join(', ')})`);
      }
    }
  }
}

export function checkReferences(release: Release, workloads: Workload[]): void {
  const refs = new Set(workloads.map((w) => w.ref));
  for (const w of workloads) {
    const sa = w.template.spec.serviceAccountName as string | undefined;
    if (sa && sa !== 'default' && !release.get('ServiceAccount', sa)) throw new WiringError(`${w.ref}: serviceAccountName ${sa} is not rendered (the pod would never be created)`);
    checkVolumes(release, w);
  }
  for (const so of release.ofKind('ScaledObject')) {
    const target = `${so.spec.scaleTargetRef.kind ?? 'Deployment'}/${so.spec.scaleTargetRef.name}`;
    if (!refs.has(target)) throw new WiringError(`ScaledObject ${so.metadata.name}: scaleTargetRef ${target} is not rendered`);
  }
  for (const hpa of release.ofKind('HorizontalPodAutoscaler')) {
    const target = `${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}`;
    if (!refs.has(target)) throw new WiringError(`HorizontalPodAutoscaler ${hpa.metadata.name}: scaleTargetRef ${target} is not rendered`);
  }
  for (const pdb of release.ofKind('PodDisruptionBudget')) {
    const picked = workloads.filter((w) => w.kind === 'service' && labelSelectorMatches(pdb.spec.selector, w.template.metadata.labels));
    if (picked.length !== 1) throw new WiringError(`PodDisruptionBudget ${pdb.metadata.name}: selector picks ${picked.map((w) => w.ref).join(' and ') || 'no workload'}; it must pick exactly one`);
  }
}
