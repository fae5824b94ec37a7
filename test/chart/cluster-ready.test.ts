import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envSchema } from '../../services/src/config/env';
import { envValueNodes } from '../../cdk8s/lib/app-config';
import { CHART_SET } from '../../cdk8s/lib/env-values';
import { SMOKE_TIMEOUT_SECONDS } from '../../cdk8s/lib/helm-test';
import { REDIS_IMAGE_TAG } from '../../cdk8s/lib/values';
import { KUBE_VERSION_RANGE } from '../../cdk8s/main';
import { CHART_DIR, find, helm, parseManifests, render, type K8sObject } from './helm';

type Pod = { kind: string; name: string; meta: { annotations?: Record<string, string>; labels?: Record<string, string> }; spec: any };

/** Every pod template (Deployment, StatefulSet, CronJob, Pod) with its metadata. */
function podsOf(objects: K8sObject[]): Pod[] {
  return objects.flatMap((o: any) => {
    const t = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.kind === 'Pod' ? o : o.spec?.template;
    return t?.spec?.containers ? [{ kind: o.kind, name: o.metadata.name, meta: t.metadata ?? {}, spec: t.spec }] : [];
  });
}
const images = (objects: K8sObject[]) => podsOf(objects).flatMap((p) => p.spec.containers.map((c: any) => ({ pod: p.name, image: c.image, pullPolicy: c.imagePullPolicy })));
const renderFails = (args: string[]) => helm(['template', 'rel', CHART_DIR, ...args]);

describe('a chart a platform team can adopt', () => {
  test(`helm lint --strict on every Kubernetes minor from ${KUBE_VERSION_RANGE.oldest} to ${KUBE_VERSION_RANGE.newest}`, () => {
    const [, oldest] = KUBE_VERSION_RANGE.oldest.split('.').map(Number) as [number, number];
    const [, newest] = KUBE_VERSION_RANGE.newest.split('.').map(Number) as [number, number];
    for (let minor = oldest; minor <= newest; minor++) {
      const r = helm(['lint', '--strict', CHART_DIR, '--kube-version', `1.${minor}.0`]);
      expect({ minor, out: `${r.stdout}${r.stderr}`.includes('0 chart(s) failed') }).toEqual({ minor, out: true });
    }
  });

  test('works as a subchart: the global key Helm injects is accepted, imageRegistry and imagePullSecrets honoured', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pca-parent-'));
    try {
      cpSync(CHART_DIR, join(parent, 'charts', 'pca-agent'), { recursive: true });
      writeFileSync(join(parent, 'Chart.yaml'), 'apiVersion: v2\nname: platform\nversion: 1.0.0\ndependencies:\n  - name: pca-agent\n    version: "*"\n');
      writeFileSync(
        join(parent, 'values.yaml'),
        'global:\n  imageRegistry: mirror.example.com\n  imagePullSecrets: [mirror-cred, {name: other-cred}]\n  somethingElse: true\npca-agent:\n  imagePullSecrets: [{name: own-cred}]\n',
      );
      const r = helm(['template', 'rel', parent, '--namespace', 'pca']);
      expect(r.stderr).toBe('');
      const objects = parseManifests(r.stdout);
      const all = images(objects);
      expect(all.length).toBeGreaterThan(5);
      for (const i of all) expect(i.image).toMatch(/^mirror\.example\.com\//);
      for (const p of podsOf(objects)) expect({ pod: p.name, secrets: p.spec.imagePullSecrets }).toEqual({ pod: p.name, secrets: [{ name: 'mirror-cred' }, { name: 'other-cred' }, { name: 'own-cred' }] });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test('each image has its own registry, tag, digest and pull policy: pullPolicy=Never for the app leaves Redis, Collector and Jaeger alone', () => {
    const objects = render(['--set', 'image.pullPolicy=Never', '--set', 'image.tag=dev', '--set', 'redis.image.digest=sha256:' + 'a'.repeat(64)]);
    const byPod = images(objects);
    for (const i of byPod) {
      const app = i.image.startsWith('ghcr.io/pca-agent/pca-agent:');
      expect({ pod: i.pod, pullPolicy: i.pullPolicy }).toEqual({ pod: i.pod, pullPolicy: app ? 'Never' : 'IfNotPresent' });
    }
    expect(byPod.find((i) => i.pod === 'rel-pca-agent-api')?.image).toBe('ghcr.io/pca-agent/pca-agent:dev');
    expect(byPod.find((i) => i.pod === 'rel-pca-agent-redis')?.image).toBe(`redis:${REDIS_IMAGE_TAG}@sha256:${'a'.repeat(64)}`);
    // Past every advisory values.yaml names: 8.6.3 fixes CVE-2026-23479 (7.2.0–8.6.2), and with it the older two.
    const [major, minor, patch] = REDIS_IMAGE_TAG.split('.').map(Number) as [number, number, number];
    expect(major * 10000 + minor * 100 + patch).toBeGreaterThanOrEqual(80603);
  });

  test('every Secret and ConfigMap a pod reads is covered by a checksum annotation, so a rotation rolls the pods', () => {
    const objects = render();
    const templateOf = new Map<string, string>(); // "Secret/name" → the checksum key that covers it
    const covers: Record<string, string[]> = {
      'checksum/config': ['ConfigMap/rel-pca-agent-config'],
      'checksum/auth-secret': ['Secret/rel-pca-agent-auth'],
      'checksum/redis-secret': ['Secret/rel-pca-agent-redis', 'Secret/rel-pca-agent-external-redis'],
      'checksum/dashboard-secret': ['Secret/rel-pca-agent-dashboard'],
      'checksum/config@collector': ['ConfigMap/rel-pca-agent-otel-collector'],
      'checksum/config@jaeger': ['ConfigMap/rel-pca-agent-jaeger'],
    };
    for (const [key, refs] of Object.entries(covers)) for (const r of refs) templateOf.set(r, key.split('@')[0]!);
    for (const p of podsOf(objects).filter((p) => p.kind !== 'Pod')) {
      const reads = new Set<string>();
      for (const c of p.spec.containers) {
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) reads.add(`Secret/${e.valueFrom.secretKeyRef.name}`);
          if (e.valueFrom?.configMapKeyRef) reads.add(`ConfigMap/${e.valueFrom.configMapKeyRef.name}`);
        }
        for (const f of c.envFrom ?? []) {
          if (f.secretRef) reads.add(`Secret/${f.secretRef.name}`);
          if (f.configMapRef) reads.add(`ConfigMap/${f.configMapRef.name}`);
        }
      }
      for (const v of p.spec.volumes ?? []) {
        if (v.configMap) reads.add(`ConfigMap/${v.configMap.name}`);
        if (v.secret) reads.add(`Secret/${v.secret.secretName}`);
      }
      for (const ref of reads) {
        const key = templateOf.get(ref);
        expect({ pod: p.name, ref, covered: Boolean(key && p.meta.annotations?.[key]) }).toEqual({ pod: p.name, ref, covered: true });
      }
    }
    const checksum = (args: string[], pod: string, key: string) => podsOf(render(args)).find((p) => p.name === pod)!.meta.annotations![key];
    expect(checksum(['--set', 'auth.apiKeys={aaaaaaaaaaaaaaaaaaaa}'], 'rel-pca-agent-api', 'checksum/auth-secret')).not.toBe(
      checksum(['--set', 'auth.apiKeys={bbbbbbbbbbbbbbbbbbbb}'], 'rel-pca-agent-api', 'checksum/auth-secret'),
    );
    for (const pod of ['rel-pca-agent-api', 'rel-pca-agent-worker', 'rel-pca-agent-redis']) {
      expect(checksum(['--set', 'redis.password=one'], pod, 'checksum/redis-secret')).not.toBe(checksum(['--set', 'redis.password=two'], pod, 'checksum/redis-secret'));
    }
  });

  test('API and workers spread softly over nodes by default; a PDB that never blocks a drain, at any replica count', () => {
    for (const args of [[], ['--set', 'api.autoscaling.enabled=true', '--set', 'api.autoscaling.minReplicas=1'], ['--set', 'api.replicaCount=3']]) {
      const objects = render(args);
      for (const name of ['rel-pca-agent-api', 'rel-pca-agent-worker']) {
        const spread = (find(objects, 'Deployment', name) as any).spec.template.spec.topologySpreadConstraints;
        expect(spread).toEqual([
          expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1 }),
        ]);
      }
      const pdb = find(objects, 'PodDisruptionBudget', 'rel-pca-agent-api') as any;
      expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
      expect(pdb.spec.minAvailable).toBeUndefined();
    }
    const own = [{ maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } }];
    const values = join(mkdtempSync(join(tmpdir(), 'pca-v-')), 'v.json');
    writeFileSync(values, JSON.stringify({ api: { topologySpreadConstraints: own } }));
    expect((find(render(['-f', values]), 'Deployment', 'rel-pca-agent-api') as any).spec.template.spec.topologySpreadConstraints).toEqual(own);
  });

  test('the scheduled health_check runs inside its CronJob pod, so it never needs (or wakes) a worker', () => {
    const cron = find(render(), 'CronJob', 'rel-pca-agent-health-check') as any;
    const command = cron.spec.jobTemplate.spec.template.spec.containers[0].command as string[];
    expect(command.slice(-5)).toEqual(['task', 'health_check', '--inline', '--timeout', '60']);
    for (const other of ['rel-pca-agent-cleanup-old-reports', 'rel-pca-agent-refresh-benchmarks']) {
      expect((find(render(), 'CronJob', other) as any).spec.jobTemplate.spec.template.spec.containers[0].command).not.toContain('--inline');
    }
  });

  test("the Redis StatefulSet's serviceName is a headless Service selecting its pod", () => {
    const objects = render();
    const sts = find(objects, 'StatefulSet', 'rel-pca-agent-redis') as any;
    const svc = find(objects, 'Service', sts.spec.serviceName) as any;
    expect(svc.spec.clusterIP).toBe('None');
    expect(Object.entries(svc.spec.selector).every(([k, v]) => sts.spec.template.metadata.labels[k] === v)).toBe(true);
  });

  test('podAnnotations and podLabels merge with the chart’s own without duplicate keys; selector labels and checksums stay the chart’s', () => {
    const values = join(mkdtempSync(join(tmpdir(), 'pca-v-')), 'v.json');
    writeFileSync(
      values,
      JSON.stringify({
        api: {
          podAnnotations: { 'prometheus.io/scrape': 'false', 'checksum/config': 'mine', team: 'growth' },
          podLabels: { 'app.kubernetes.io/component': 'evil', tier: 'web' },
        },
      }),
    );
    const api = podsOf(render(['-f', values])).find((p) => p.name === 'rel-pca-agent-api')!; // parseManifests fails on duplicate keys
    expect(api.meta.annotations).toMatchObject({ 'prometheus.io/scrape': 'false', team: 'growth', 'prometheus.io/port': '8000' });
    expect(api.meta.annotations!['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
    expect(api.meta.labels).toMatchObject({ 'app.kubernetes.io/component': 'api', tier: 'web' });
  });

  test('the helm test pod finishes on its own inside `helm test --timeout 5m`', () => {
    const pod = find(render(), 'Pod', 'rel-pca-agent-smoke-test') as any;
    const args = pod.spec.containers[0].command as string[];
    const timeout = Number(args[args.indexOf('--timeout') + 1]);
    expect(timeout).toBe(SMOKE_TIMEOUT_SECONDS);
    expect(timeout).toBeLessThan(pod.spec.activeDeadlineSeconds);
    expect(pod.spec.activeDeadlineSeconds).toBeLessThan(300);
  });

  test('install-time checks name the values: collector memory limit, Redis maxmemory headroom, both Redis sources', () => {
    for (const [args, message] of [
      [['--set', 'otelCollector.memoryLimitMiB=256'], /otelCollector\.memoryLimitMiB \(256\) must be below otelCollector\.resources\.limits\.memory \(256Mi = 256 MiB\)/],
      [['--set', 'otelCollector.resources.limits.memory=0.25Gi', '--set', 'otelCollector.memoryLimitMiB=300'], /\(0\.25Gi = 256 MiB\)/],
      [['--set', 'redis.maxmemory=300mb'], /redis\.maxmemory \(300mb = 300 MiB\) must be at most 75% of redis\.resources\.limits\.memory \(384Mi = 384 MiB\)/],
      [['--set', 'artifacts.backend=s3'], /artifacts\.backend is s3: set artifacts\.s3\.bucket/],
      [['--set', 'artifacts.downloadMode=redirect'], /artifacts\.downloadMode redirect needs artifacts\.backend s3 \(it is filesystem\)/],
      [['--set', 'redis.enabled=false', '--set', 'externalRedis.url=redis://a:6379', '--set', 'externalRedis.existingSecret=x'], /set externalRedis\.url or externalRedis\.existingSecret, not both/],
    ] as const) {
      const r = renderFails([...args]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(renderFails(['--set', 'redis.maxmemory=288mb']).status).toBe(0);
  });

  test('the schema rejects an unknown time zone and a host that is not a DNS name', () => {
    for (const args of [
      ['--set', 'cronJobs.healthCheck.timeZone=Mars/Olympus'],
      ['--set', 'ingress.enabled=true', '--set', 'ingress.host=not a host'],
      ['--set', 'ingress.host=https://pca.example.com'],
    ]) {
      const r = renderFails(args);
      expect({ args, failed: r.status !== 0, schema: /values don't meet the specifications of the schema|jsonschema/i.test(r.stderr) }).toEqual({ args, failed: true, schema: true });
    }
    expect(renderFails(['--set', 'cronJobs.healthCheck.timeZone=Europe/Berlin', '--set', 'ingress.host=*.pca.example.com']).status).toBe(0);
  });

  test('serviceAccount: created and annotated for cloud identity, or an existing one by name', () => {
    const created = render(['--set', 'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/pca']);
    const sa = find(created, 'ServiceAccount', 'rel-pca-agent') as any;
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/pca' });
    expect(sa.automountServiceAccountToken).toBe(false);
    const existing = render(['--set', 'serviceAccount.create=false', '--set', 'serviceAccount.name=platform-sa']);
    expect(find(existing, 'ServiceAccount', 'rel-pca-agent')).toBeUndefined();
    for (const p of podsOf(existing).filter((p) => !/redis|collector|jaeger/.test(p.name))) expect({ pod: p.name, sa: p.spec.serviceAccountName }).toEqual({ pod: p.name, sa: 'platform-sa' });
  });

  test('extraEnv, extraEnvFrom, extraVolumes, extraVolumeMounts, priorityClassName and commonAnnotations land where they belong', () => {
    const values = join(mkdtempSync(join(tmpdir(), 'pca-v-')), 'v.json');
    writeFileSync(
      values,
      JSON.stringify({
        commonAnnotations: { owner: 'team-growth' },
        worker: {
          extraEnv: [{ name: 'EXTRA', value: 'x' }],
          extraEnvFrom: [{ secretRef: { name: 'more' } }],
          extraVolumes: [{ name: 'certs', secret: { secretName: 'ca' } }],
          extraVolumeMounts: [{ name: 'certs', mountPath: '/certs', readOnly: true }],
          priorityClassName: 'batch-low',
        },
      }),
    );
    const objects = render(['-f', values]);
    const worker = (find(objects, 'Deployment', 'rel-pca-agent-worker') as any).spec.template.spec;
    const c = worker.containers[0];
    expect(c.env.at(-1)).toEqual({ name: 'EXTRA', value: 'x' });
    expect(c.envFrom).toContainEqual({ secretRef: { name: 'more' } });
    expect(c.volumeMounts).toContainEqual({ name: 'certs', mountPath: '/certs', readOnly: true });
    expect(worker.volumes).toContainEqual({ name: 'certs', secret: { secretName: 'ca' } });
    expect(worker.priorityClassName).toBe('batch-low');
    for (const o of objects) expect({ obj: `${o.kind}/${o.metadata.name}`, owner: o.metadata.annotations?.owner }).toEqual({ obj: `${o.kind}/${o.metadata.name}`, owner: 'team-growth' });
  });
});

describe('every app setting is reachable from values, generated from the env schema', () => {
  const nodes = envValueNodes();

  test('each variable of services/src/config/env.ts is a values key or set by the chart for a stated reason, exactly once', () => {
    const fromValues = nodes.map((n) => n.name);
    const bySchema = Object.keys(envSchema.shape).sort();
    expect([...fromValues, ...Object.keys(CHART_SET), 'TRUST_PROXY_HOPS'].sort()).toEqual(bySchema);
    expect(new Set(fromValues).size).toBe(fromValues.length);
  });

  test('a non-default value for each key reaches the ConfigMap as its variable', () => {
    const setArgs: string[] = [];
    const expected: Record<string, string> = {};
    for (const { name, path, node } of nodes) {
      const key = path.join('.');
      const schema = node.schema as { enum?: unknown[]; minimum?: number; maximum?: number; anyOf?: { minimum?: number }[] };
      let value: string;
      if (node.kind === 'block') [value, expected[name]] = [`{a${name.length},b}`, `a${name.length},b`];
      else if (node.type === 'boolean') value = String(!node.default);
      else if (node.type === 'integer') {
        const min = schema.minimum ?? schema.anyOf?.[1]?.minimum ?? 1;
        value = String(node.default === min ? min + 1 : min);
      }
      else if (schema.enum) value = String(schema.enum.find((e) => e !== node.default));
      else value = name === 'DASHBOARD_BASE_PATH' ? '/queues' : name === 'REDIS_KEY_PREFIX' ? 'other' : `v-${name.toLowerCase()}`;
      expected[name] ??= value;
      setArgs.push(node.kind === 'block' ? '--set' : '--set-string', `${key}=${value}`);
    }
    // --set-string types integers as strings; the schema wants integers for those.
    const args = setArgs.map((a, i) => (a === '--set-string' && /=\d+$|=(true|false)$/.test(setArgs[i + 1] ?? '') ? '--set' : a));
    const cm = find(render(args), 'ConfigMap', 'rel-pca-agent-config') as any;
    for (const [name, value] of Object.entries(expected)) expect({ name, value: cm.data[name] }).toEqual({ name, value });
  });

  test('optional variables left at their empty default are not rendered, so the app’s default or "unset" applies', () => {
    const cm = find(render(), 'ConfigMap', 'rel-pca-agent-config') as any;
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_PUBLIC_KEY', 'WORKER_CONCURRENCY_REPORTS']) expect({ name, set: name in cm.data }).toEqual({ name, set: false });
    expect(cm.data.CORS_ORIGINS).toBe('');
  });
});

describe('the config the app receives', () => {
  // Helm reads YAML numbers as float64 and prints big ones as 1.048576e+06, which is not an integer to the app.
  test('every integer setting reaches the ConfigMap as the integer it is, also when --set', () => {
    const ints = envValueNodes().filter((e) => e.node.kind === 'leaf' && e.node.type === 'integer' && e.node.default !== null);
    expect(ints.length).toBeGreaterThan(10);
    // the largest value each one's schema allows (a million and up when it is unbounded)
    const largest = ints.map((e, i) => String((e.node.schema as { maximum?: number }).maximum ?? 1_048_576 + i));
    expect(largest.filter((x) => x.length >= 7).length).toBeGreaterThan(5);
    for (const [args, want] of [[[], ints.map((e) => String(e.node.default as number))], [ints.map((e, i) => `--set=${e.path.join('.')}=${largest[i]}`), largest]] as const) {
      const cm = find(render([...args]), 'ConfigMap', 'rel-pca-agent-config') as unknown as { data: Record<string, string> };
      for (const [i, e] of ints.entries()) {
        expect({ name: e.name, value: cm.data[e.name] }).toEqual({ name: e.name, value: want[i] });
      }
    }
  });
});
