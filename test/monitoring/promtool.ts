import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { render, type K8sObject } from '../chart/helm';

/** `--api-versions` of a cluster running the Prometheus Operator (kube-prometheus-stack). */
export const PROMETHEUS_OPERATOR_APIS = ['--api-versions', 'monitoring.coreos.com/v1/PrometheusRule', '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'];

export interface PromtoolResult {
  readonly status: number;
  readonly output: string;
}

/** Debian's promtool (package `prometheus`; `.ci/run` installs it). */
export function promtool(args: readonly string[], opts: { cwd?: string; input?: string } = {}): PromtoolResult {
  const r = spawnSync(process.env.PROMTOOL ?? 'promtool', args, { encoding: 'utf8', cwd: opts.cwd, input: opts.input });
  if (r.error) throw new Error(`promtool not runnable (${r.error.message}); install Debian's prometheus package`);
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

/** The rule groups of the chart's PrometheusRule as `helm template` renders them: what ships is what is tested. */
export function renderedRuleGroups(args: readonly string[] = [], release = 'rel'): RuleGroup[] {
  const rules = render([...PROMETHEUS_OPERATOR_APIS, ...args], release).filter((o) => o.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`expected one PrometheusRule, got ${rules.length}`);
  return (rules[0] as K8sObject & { spec: { groups: RuleGroup[] } }).spec.groups;
}

/** Writes `{groups}` as a Prometheus rule file in a fresh directory; returns the directory. */
export function writeRuleFile(groups: readonly RuleGroup[], name = 'rules.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'pca-rules-'));
  writeFileSync(join(dir, name), stringify({ groups }, { lineWidth: 0 }));
  return dir;
}
