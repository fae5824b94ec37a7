import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_LOCAL_PORTS } from '../../services/src/ctl/port-plan';
import { CHART_DIR, renderChart } from '../ctl/release-objects';
import { parseDockerfile } from './dockerfile';

const root = join(__dirname, '..', '..');
type Patch = { op: string; path: string; value: unknown };
const skaffold = parse(readFileSync(join(root, 'skaffold.yaml'), 'utf8')) as {
  apiVersion: string;
  build: { artifacts: Array<{ image: string; context: string; docker: { dockerfile: string; target?: string } }>; local: Record<string, unknown> };
  deploy: { helm: { releases: Array<{ name: string; chartPath: string; setValueTemplates: Record<string, string>; setValues: Record<string, unknown> }> } };
  portForward: Array<{ resourceType: string; resourceName: string; port: number; localPort: number }>;
  profiles: Array<{ name: string; activation: Array<{ kubeContext: string }>; patches: Patch[] }>;
};
const [release] = skaffold.deploy.helm.releases;
const chartValues = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const lookup = (obj: unknown, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

describe('skaffold.yaml', () => {
  it('uses the current schema and builds one artifact from the Dockerfile', () => {
    expect(skaffold.apiVersion).toBe('skaffold/v4beta13');
    expect(skaffold.build.artifacts).toHaveLength(1);
    const [artifact] = skaffold.build.artifacts;
    expect(artifact!.image).toBe('pca-agent');
    expect(existsSync(join(root, artifact!.context, artifact!.docker.dockerfile))).toBe(true);
    const stages = parseDockerfile(join(root, artifact!.docker.dockerfile)).stages.map((s) => s.name);
    expect(stages.at(-1)).toBe(artifact!.docker.target);
  });

  it('deploys charts/pca-agent with the image skaffold built', () => {
    expect(skaffold.deploy.helm.releases).toHaveLength(1);
    expect(release!.name).toBe('pca-agent');
    expect(join(root, release!.chartPath)).toBe(CHART_DIR);
    // skaffold's IMAGE_REPO carries the registry (or none, for a local kind/minikube load): the chart's default goes.
    expect(release!.setValueTemplates).toEqual({ 'image.registry': '', 'image.repository': '{{.IMAGE_REPO_pca_agent}}', 'image.tag': '{{.IMAGE_TAG_pca_agent}}' });
  });

  it('sets only values the chart has, and the chart (with its schema) renders the small dev footprint', () => {
    const unknown = Object.keys(release!.setValues).filter((k) => lookup(chartValues, k) === undefined);
    expect(unknown).toEqual([]);
    const sets = Object.entries({ ...release!.setValues, ...release!.setValueTemplates, 'image.repository': 'pca-agent', 'image.tag': 'abc123' }).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
    const objects = renderChart(release!.name, 'default', sets);
    const byName = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
    expect((byName('Deployment', 'pca-agent-api')?.spec as { replicas?: number }).replicas).toBe(1);
    expect((byName('ScaledObject', 'pca-agent-worker')?.spec as { minReplicaCount?: number; maxReplicaCount?: number })).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 2 });
    expect((byName('StatefulSet', 'pca-agent-redis')?.spec as { volumeClaimTemplates?: unknown[] }).volumeClaimTemplates ?? []).toEqual([]);
    expect((byName('Deployment', 'pca-agent-api')?.spec as any).template.spec.containers[0].image).toBe('pca-agent:abc123');
  });

  it('forwards the API, Jaeger UI and queue dashboard from Services the chart renders for release pca-agent, on the ctl default ports', () => {
    const services = renderChart('pca-agent', 'default').filter((o) => o.kind === 'Service');
    expect(skaffold.portForward.map((p) => p.localPort)).toEqual([DEFAULT_LOCAL_PORTS.api, DEFAULT_LOCAL_PORTS.jaeger, DEFAULT_LOCAL_PORTS.dashboard]);
    for (const pf of skaffold.portForward) {
      expect(pf.resourceType).toBe('service');
      const svc = services.find((s) => s.metadata?.name === pf.resourceName);
      expect([pf.resourceName, (svc?.spec as { ports?: Array<{ port: number }> } | undefined)?.ports?.some((p) => p.port === pf.port)]).toEqual([pf.resourceName, true]);
    }
  });

  it('has kind and minikube profiles that build locally without pushing, activated by the contexts kind-up.sh creates', () => {
    const script = readFileSync(join(root, 'scripts', 'kind-up.sh'), 'utf8');
    const cluster = /CLUSTER_NAME="\$\{PCA_CLUSTER_NAME:-([\w-]+)\}"/.exec(script)?.[1];
    expect(cluster).toBe('pca-agent');
    const profile = (name: string) => skaffold.profiles.find((p) => p.name === name)!;
    const patched = (name: string, path: string) => profile(name).patches.find((p) => p.path === path)?.value;
    expect(profile('kind').activation).toEqual([{ kubeContext: `kind-${cluster}` }]);
    expect(patched('kind', '/build/local/push')).toBe(false);
    expect(profile('minikube').activation).toContainEqual({ kubeContext: cluster });
    expect(patched('minikube', '/build/local/push')).toBe(false);
    expect(patched('minikube', '/build/local/useDockerCLI')).toBe(true);
    expect(script).toContain('skaffold dev --profile $profile');
  });
});
