import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, helm, render, scenarios, valuesFile, type K8sObject } from '../chart/helm';

/*
 * Pod hardening (non-root, read-only root fs, no escalation, ALL dropped, RuntimeDefault, no host
 * namespaces or hostPath, resources, secrets only by reference, no SA token) is asserted for every pod of
 * every scenario in test/chart/pod-policy.test.ts. This file covers the rest of the posture: with
 * networkPolicy.enabled, what traffic the rendered NetworkPolicies actually allow, evaluated the way
 * Kubernetes does (a pod selected by any policy of a type is isolated for it; rules are unioned; a flow
 * needs the source's egress and the destination's ingress).
 */

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface PolicyRule {
  ports?: { port?: number | string; protocol?: string }[];
  from?: PolicyPeer[];
  to?: PolicyPeer[];
}
interface Policy {
  metadata: { name: string };
  spec: { podSelector: Selector; policyTypes: string[]; ingress?: PolicyRule[]; egress?: PolicyRule[] };
}
interface Pod {
  readonly name: string;
  readonly component: string;
  readonly labels: Labels;
  readonly ports: number[];
}

const NAMESPACE = 'pca';
const ns = (name: string): Labels => ({ 'kubernetes.io/metadata.name': name });
/** A pod outside the release: its namespace's labels and its own. */
interface OutsidePod {
  readonly namespace: Labels;
  readonly pod: Labels;
}
/** The Gateway's proxy pods, as GEP-1762 labels them, in the Gateway's namespace. */
const GATEWAY_PROXY: OutsidePod = { namespace: ns('gateway-system'), pod: { 'gateway.networking.k8s.io/gateway-name': 'public' } };
/** Where traffic can come from outside the release's pods (null: the internet). */
const OUTSIDE: Record<string, OutsidePod | null> = {
  gateway: GATEWAY_PROXY,
  'other pod in the gateway namespace': { namespace: ns('gateway-system'), pod: { 'app.kubernetes.io/name': 'gateway-controller' } },
  prometheus: { namespace: ns('monitoring'), pod: { 'app.kubernetes.io/name': 'prometheus' } },
  keda: { namespace: ns('keda'), pod: { app: 'keda-operator' } },
  'other namespace': { namespace: ns('default'), pod: {} },
  internet: null,
};
/** networkPolicy values that admit exactly the Gateway's proxy pods to the API (and Prometheus, when set). */
const GATEWAY_PEER = {
  namespaceSelector: { matchLabels: GATEWAY_PROXY.namespace },
  podSelector: { matchLabels: GATEWAY_PROXY.pod },
};
const PROMETHEUS_PEER = { namespaceSelector: { matchLabels: ns('monitoring') } };

function selects(sel: Selector | undefined, labels: Labels): boolean {
  if (!sel) return true;
  if (sel.matchExpressions?.length) throw new Error('matchExpressions are not modelled by this test; extend it');
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function pods(objects: K8sObject[]): Pod[] {
  const out: Pod[] = [];
  for (const o of objects as any[]) {
    const template = o.kind === 'Deployment' || o.kind === 'StatefulSet' ? o.spec.template : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.kind === 'Pod' ? o : undefined;
    if (!template) continue;
    const labels = template.metadata.labels as Labels;
    const ports = (template.spec.containers as any[]).flatMap((c) => (c.ports ?? []).map((p: any) => p.containerPort as number));
    out.push({ name: `${o.kind}/${o.metadata.name}`, component: labels['app.kubernetes.io/component']!, labels, ports });
  }
  return out;
}

type Source = { pod: Pod } | { outside: OutsidePod | null };

function peerMatches(peer: PolicyPeer, src: Source): boolean {
  if ('pod' in src) {
    // A podSelector alone means "pods in the policy's namespace"; a namespaceSelector must match ours.
    if (peer.ipBlock) return false;
    if (peer.namespaceSelector && !selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': NAMESPACE })) return false;
    return selects(peer.podSelector, src.pod.labels);
  }
  if (peer.ipBlock) return true; // modelled as admitting any off-cluster address
  // A peer without a namespaceSelector selects pods of the policy's own namespace only.
  if (!peer.namespaceSelector || src.outside === null) return false;
  return selects(peer.namespaceSelector, src.outside.namespace) && selects(peer.podSelector, src.outside.pod);
}

const portMatches = (rule: PolicyRule, port: number) => !rule.ports?.length || rule.ports.some((p) => p.port === undefined || p.port === port);

function ingressAllows(policies: Policy[], dst: Pod, port: number, src: Source): boolean {
  const applying = policies.filter((p) => p.spec.policyTypes.includes('Ingress') && selects(p.spec.podSelector, dst.labels));
  if (applying.length === 0) return true;
  return applying.some((p) => (p.spec.ingress ?? []).some((r) => portMatches(r, port) && (!r.from?.length || r.from.some((peer) => peerMatches(peer, src)))));
}

function egressAllows(policies: Policy[], src: Pod, dst: Pod, port: number): boolean {
  const applying = policies.filter((p) => p.spec.policyTypes.includes('Egress') && selects(p.spec.podSelector, src.labels));
  if (applying.length === 0) return true;
  return applying.some((p) => (p.spec.egress ?? []).some((r) => portMatches(r, port) && (!r.to?.length || r.to.some((peer) => peerMatches(peer, { pod: dst })))));
}

/** Every flow between the release's pods that both ends' policies allow, as "src → dst:port". */
function internalFlows(objects: K8sObject[]): Set<string> {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];
  const all = pods(objects);
  const ports = [...new Set(all.flatMap((p) => p.ports))];
  const flows = new Set<string>();
  for (const src of all) {
    for (const dst of all) {
      if (src === dst) continue;
      for (const port of ports) {
        if (!dst.ports.includes(port)) continue;
        if (egressAllows(policies, src, dst, port) && ingressAllows(policies, dst, port, { pod: src })) flows.add(`${src.component} → ${dst.component}:${port}`);
      }
    }
  }
  return flows;
}

/** Every (pod port, outside source) the destination's ingress admits. */
function externalFlows(objects: K8sObject[]): Set<string> {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];
  const flows = new Set<string>();
  for (const dst of pods(objects)) {
    for (const port of dst.ports) {
      for (const [name, outside] of Object.entries(OUTSIDE)) {
        if (ingressAllows(policies, dst, port, { outside })) flows.add(`${name} → ${dst.component}:${port}`);
      }
    }
  }
  return flows;
}

/** The flows the system needs, derived from which components the scenario renders. */
function neededInternal(objects: K8sObject[]): Set<string> {
  const present = new Set(pods(objects).map((p) => p.component));
  const need = new Set<string>();
  for (const app of ['api', 'worker', 'dashboard', 'cronjob', 'test']) {
    if (!present.has(app)) continue;
    // The helm test's smoke command goes through the API only.
    if (present.has('redis') && app !== 'test') need.add(`${app} → redis:6379`);
    if (present.has('otel-collector')) need.add(`${app} → otel-collector:4318`);
  }
  if (present.has('test') && present.has('api')) need.add('test → api:8000');
  if (present.has('otel-collector') && present.has('jaeger')) need.add('otel-collector → jaeger:4317');
  return need;
}

const SERVICE_MONITOR = ['--set', 'serviceMonitor.enabled=true', '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'];

// Every scenario with the policies on: as its values file has them (apiIngressFrom empty means any source,
// as documented); with apiIngressFrom set to the Gateway's proxy pods, so "the API only from the Gateway"
// can be checked; and that again with a ServiceMonitor and metricsFrom naming Prometheus.
const renders = scenarios().flatMap((s) => {
  const on = [...s.args, '--set', 'networkPolicy.enabled=true', '--api-versions', 'keda.sh/v1alpha1/ScaledObject'];
  const restricted = [...on, ...valuesFile({ networkPolicy: { apiIngressFrom: [GATEWAY_PEER], metricsFrom: [] } })];
  return [
    { name: s.name, restricted: false, monitored: false, objects: render(on) },
    { name: `${s.name}, apiIngressFrom=gateway`, restricted: true, monitored: false, objects: render(restricted) },
    {
      name: `${s.name}, apiIngressFrom=gateway, metricsFrom=prometheus, ServiceMonitor`,
      restricted: true,
      monitored: true,
      objects: render([...restricted, ...valuesFile({ networkPolicy: { metricsFrom: [PROMETHEUS_PEER] } }), ...SERVICE_MONITOR]),
    },
    { name: `${s.name}, ServiceMonitor, no restriction`, restricted: false, monitored: true, objects: render([...on, ...SERVICE_MONITOR]) },
  ];
});

/** One assertion over every scenario: the scenarios whose result differs from what is expected. */
function everyScenario(check: (objects: K8sObject[]) => unknown, only: (r: (typeof renders)[number]) => boolean = () => true): void {
  const wrong: Record<string, unknown> = {};
  for (const r of renders.filter(only)) {
    const problem = check(r.objects);
    if (problem !== undefined) wrong[r.name] = problem;
  }
  expect(wrong).toEqual({});
}

test('networkPolicy.enabled: every pod of every scenario is covered by a default deny for ingress and egress', () => {
  expect(renders.length).toBeGreaterThan(1);
  everyScenario((objects) => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];
    const denies = policies.filter((p) => p.spec.policyTypes.includes('Ingress') && p.spec.policyTypes.includes('Egress') && !p.spec.ingress?.length && !p.spec.egress?.length);
    const uncovered = pods(objects).filter((pod) => !denies.some((d) => selects(d.spec.podSelector, pod.labels))).map((p) => p.name);
    return uncovered.length ? { uncovered } : undefined;
  });
});

test('networkPolicy.enabled: between the release’s pods exactly the needed flows are open', () => {
  everyScenario((objects) => {
    const open = internalFlows(objects);
    const need = neededInternal(objects);
    const extra = [...open].filter((f) => !need.has(f)).sort();
    const missing = [...need].filter((f) => !open.has(f)).sort();
    return extra.length || missing.length ? { extra, missing } : undefined;
  });
});

const fromOutside = (objects: K8sObject[]) => {
  const flows = externalFlows(objects);
  return (who: string) => [...flows].filter((f) => f.startsWith(`${who} → `)).map((f) => f.slice(who.length + 3)).sort();
};

test('networkPolicy.enabled: from outside, the API, dashboard and Jaeger UI only from the Gateway, Redis only from KEDA, nothing else but metrics', () => {
  everyScenario((objects) => {
    const flows = externalFlows(objects);
    const from = fromOutside(objects);
    const present = new Set(pods(objects).map((p) => p.component));
    const problems: string[] = [];
    // The Collector is open from outside on its own metrics port only (for scrapers, as the worker's).
    for (const f of flows) if (/→ (otel-collector|cronjob|test):/.test(f) && !f.endsWith('→ otel-collector:8888')) problems.push(`open from outside: ${f}`);
    // metricsFrom empty means "any scraper" (documented), for the worker's and the Collector's metrics ports only.
    for (const who of ['other namespace', 'internet', 'other pod in the gateway namespace']) for (const f of from(who)) if (f !== 'worker:9464' && f !== 'otel-collector:8888') problems.push(`${who} → ${f}`);
    const entry = ['api:8000', ...(present.has('dashboard') ? ['dashboard:5555'] : []), ...(present.has('jaeger') ? ['jaeger:16686'] : [])];
    for (const to of entry) if (!from('gateway').includes(to)) problems.push(`the Gateway cannot reach ${to}`);
    if (present.has('redis') && !from('keda').includes('redis:6379')) problems.push('KEDA cannot read the queue lengths in redis:6379');
    return problems.length ? problems : undefined;
  }, (r) => r.restricted);
});

test('networkPolicy.enabled: a rendered ServiceMonitor can always scrape the API, the workers and the Collector', () => {
  everyScenario((objects) => {
    if (!objects.some((o) => o.kind === 'ServiceMonitor')) return 'no ServiceMonitor rendered';
    const from = fromOutside(objects);
    const collector = pods(objects).some((p) => p.component === 'otel-collector') ? ['otel-collector:8888'] : [];
    const missing = ['api:8000', 'worker:9464', ...collector].filter((to) => !from('prometheus').includes(to));
    return missing.length ? { 'prometheus cannot scrape': missing } : undefined;
  }, (r) => r.monitored);
  // With the API restricted, naming Prometheus in metricsFrom does not open the API to anyone else.
  everyScenario((objects) => {
    const open = ['other namespace', 'internet', 'other pod in the gateway namespace'].flatMap((who) => fromOutside(objects)(who).map((f) => `${who} → ${f}`));
    return open.length ? open : undefined;
  }, (r) => r.restricted && r.monitored);
});

test('networkPolicy.enabled: apiIngressFrom set, metricsFrom empty and a ServiceMonitor rendered fail and say what to set', () => {
  const r = helm([
    'template', 'rel', CHART_DIR, '--set', 'networkPolicy.enabled=true', ...valuesFile({ networkPolicy: { apiIngressFrom: [GATEWAY_PEER] } }), ...SERVICE_MONITOR,
  ]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/serviceMonitor\.enabled with networkPolicy\.apiIngressFrom set: .* Set networkPolicy\.metricsFrom to your Prometheus pods/);
});

test('the NetworkPolicy template names no controller or Gateway namespace: every namespace it selects comes from values', () => {
  const template = readFileSync(join(CHART_DIR, 'templates', 'network-policies.yaml'), 'utf8');
  const namespaces = [...template.matchAll(/^\s+kubernetes\.io\/metadata\.name: (.*)$/gm)].map((m) => m[1]);
  expect(namespaces.length).toBeGreaterThan(0);
  expect(namespaces.filter((n) => !n!.startsWith('{{ .Values.'))).toEqual([]);
  expect(template).not.toMatch(/ingress-nginx|envoy|gateway-system/);
});
