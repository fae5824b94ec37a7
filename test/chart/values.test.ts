import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaults, type ValueNode } from '../../cdk8s/lib/helm/values-definition';
import { valuesDefinition } from '../../cdk8s/lib/values';
import { envSchema } from '../../services/src/config/env';
import { CHART_DIR, find, helm, render } from './helm';

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
const valuesText = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');

function rejects(args: string[]): string {
  const r = helm(['template', 'rel', CHART_DIR, ...args]);
  expect(r.status).not.toBe(0);
  return r.stderr;
}

function leafPaths(node: ValueNode, path: string[] = []): string[][] {
  if (node.kind !== 'group') return [path];
  return Object.entries(node.props).flatMap(([k, child]) => [...(child.kind === 'group' ? [[...path, k]] : []), ...leafPaths(child, [...path, k])]);
}

describe('values.yaml and values.schema.json', () => {
  test('values.yaml holds exactly the defaults of the typed definition, every key with a comment line above it', () => {
    expect(parse(valuesText)).toEqual(defaults(valuesDefinition));
    const defined = new Set(leafPaths(valuesDefinition).map((p) => p.join('.')));
    const documented = new Set<string>();
    const stack: { indent: number; key: string }[] = [];
    const lines = valuesText.split('\n');
    lines.forEach((line, i) => {
      const m = line.match(/^(\s*)([A-Za-z][A-Za-z0-9]*):/);
      if (!m) return;
      const indent = m[1]!.length;
      while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
      stack.push({ indent, key: m[2]! });
      const path = stack.map((s) => s.key).join('.');
      if (!defined.has(path)) return; // inside a free-form default such as resources
      expect({ path, comment: /^\s*# \S/.test(lines[i - 1] ?? '') }).toEqual({ path, comment: true });
      documented.add(path);
    });
    expect([...defined].filter((p) => !documented.has(p))).toEqual([]);
  });

  test('every object in the schema is closed (additionalProperties false) and every key is typed', () => {
    const walk = (s: any, path: string) => {
      // `global` is Helm's, shared with every subchart: it must accept keys this chart does not know.
      if (path === '.global') return;
      if (s.type === 'object' && s.properties) {
        expect({ path, closed: s.additionalProperties }).toEqual({ path, closed: false });
        for (const [k, child] of Object.entries(s.properties)) walk(child, `${path}.${k}`);
      } else {
        expect({ path, typed: Boolean(s.type || s.anyOf) }).toEqual({ path, typed: true });
      }
    };
    walk(schema, '');
  });

  test('the keys the issue names exist', () => {
    const keys = new Set(leafPaths(valuesDefinition).map((p) => p.join('.')));
    for (const k of [
      'image.repository', 'image.tag', 'image.pullPolicy', 'api.replicaCount', 'api.resources', 'worker.replicaCount', 'worker.concurrency',
      'worker.autoscaling.enabled', 'worker.autoscaling.minReplicaCount', 'worker.autoscaling.maxReplicaCount', 'worker.autoscaling.listLength',
      'worker.autoscaling.activationListLength', 'worker.autoscaling.pollingInterval', 'worker.autoscaling.cooldownPeriod',
      'cronJobs.cleanupOldReports.schedule', 'cronJobs.refreshBenchmarks.suspend', 'cronJobs.healthCheck.timeZone', 'rateLimit.perMinute',
      'trustProxyHops', 'auth.existingSecret', 'auth.apiKeys', 'redis.enabled', 'externalRedis.url', 'externalRedis.existingSecret',
      'otelCollector.enabled', 'jaeger.enabled', 'dashboard.enabled', 'ingress.enabled', 'networkPolicy.enabled', 'serviceMonitor.enabled', 'redisKeyPrefix',
    ]) {
      expect({ k, defined: keys.has(k) }).toEqual({ k, defined: true });
    }
  });

  test('rejects an unknown key, a wrong type, a malformed cron schedule, an enum outside its set, a latest tag', () => {
    expect(rejects(['--set', 'api.replicaCout=2'])).toMatch(/replicaCout/);
    expect(rejects(['--set', 'unknownTopLevel=1'])).toMatch(/unknownTopLevel/);
    expect(rejects(['--set-string', 'api.replicaCount=two'])).toMatch(/replicaCount/);
    expect(rejects(['--set', 'worker.autoscaling.enabled=maybe'])).toMatch(/enabled/);
    expect(rejects(['--set', 'cronJobs.healthCheck.schedule=every five minutes'])).toMatch(/schedule/);
    expect(rejects(['--set', 'cronJobs.cleanupOldReports.schedule=0 2 * *'])).toMatch(/schedule/);
    expect(rejects(['--set', 'image.pullPolicy=Sometimes'])).toMatch(/pullPolicy/);
    expect(rejects(['--set', 'redis.image.tag=latest'])).toMatch(/tag/);
    expect(rejects(['--set', 'worker.autoscaling.maxReplicaCount=0'])).toMatch(/maxReplicaCount/);
  });

  test('rejects impossible combinations with a message naming the values', () => {
    expect(rejects(['--set', 'worker.autoscaling.minReplicaCount=5', '--set', 'worker.autoscaling.maxReplicaCount=3'])).toMatch(
      /worker\.autoscaling\.minReplicaCount \(5\) must not exceed worker\.autoscaling\.maxReplicaCount \(3\)/,
    );
    expect(rejects(['--set', 'api.autoscaling.minReplicas=4', '--set', 'api.autoscaling.maxReplicas=2'])).toMatch(/api\.autoscaling\.minReplicas \(4\)/);
    expect(rejects(['--set', 'redis.enabled=false'])).toMatch(/externalRedis\.url or externalRedis\.existingSecret/);
    expect(rejects(['--set', 'jaeger.enabled=false'])).toMatch(/otelCollector\.exporter\.endpoint/);
  });

  test('--set reaches the objects', () => {
    const objects = render([
      '--set', 'api.replicaCount=4', '--set', 'image.tag=1.2.3', '--set', 'rateLimit.perMinute=42', '--set', 'trustProxyHops=2',
      '--set', 'worker.concurrency=9', '--set', 'cronJobs.healthCheck.schedule=*/10 * * * *', '--set', 'cronJobs.healthCheck.suspend=true',
      '--set', 'cronJobs.healthCheck.timeZone=Europe/Paris', '--set', 'api.resources.limits.memory=1Gi', '--set', 'dashboard.enabled=false',
      '--set', 'otelCollector.enabled=false', '--set', 'jaeger.enabled=false', '--set', 'redisKeyPrefix=acme',
    ]);
    const api = find(objects, 'Deployment', 'rel-pca-agent-api') as any;
    expect(api.spec.replicas).toBe(4);
    expect(api.spec.template.spec.containers[0].image).toBe('ghcr.io/pca-agent/pca-agent:1.2.3');
    expect(api.spec.template.spec.containers[0].resources.limits.memory).toBe('1Gi');
    const cm = find(objects, 'ConfigMap', 'rel-pca-agent-config') as any;
    expect(cm.data).toMatchObject({ RATE_LIMIT_PER_MINUTE: '42', TRUST_PROXY_HOPS: '2', WORKER_CONCURRENCY: '9', REDIS_KEY_PREFIX: 'acme', OTEL_SDK_DISABLED: 'true' });
    expect(cm.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    const cron = find(objects, 'CronJob', 'rel-pca-agent-health-check') as any;
    expect(cron.spec).toMatchObject({ schedule: '*/10 * * * *', suspend: true, timeZone: 'Europe/Paris', concurrencyPolicy: 'Forbid' });
    expect(objects.filter((o) => /dashboard|otel-collector|jaeger/.test(o.metadata.name))).toEqual([]);
  });

  test('ConfigMap keys are variables the app reads (services/src/config/env.ts) or standard OTEL_* ones', () => {
    const known = new Set(Object.keys(envSchema.shape));
    const cm = find(render(), 'ConfigMap', 'rel-pca-agent-config') as any;
    for (const key of Object.keys(cm.data)) expect({ key, known: known.has(key) || key.startsWith('OTEL_') }).toEqual({ key, known: true });
    expect(cm.data).toMatchObject({ NODE_ENV: 'production', SCHEDULER_ENABLED: 'false', PORT: '8000', WORKER_HTTP_PORT: '9464', DASHBOARD_PORT: '5555', SHUTDOWN_DELAY_MS: '5000' });
    // The app's own schema accepts every value the chart sets.
    expect(envSchema.safeParse(cm.data).success).toBe(true);
  });
});
