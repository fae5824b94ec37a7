import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { waitFor } from '../helpers/processes';
import { EgressMonitor } from './harness/egress';
import { chartScenarios, renderRelease, type Container, type Release } from './harness/release';
import { Stack } from './harness/stack';

/*
 * The chart-run test must not pass by accident: each case breaks one piece of the rendered wiring the
 * way a chart change could, and the harness must fail naming the object, container, variable, key or
 * port involved.
 */
jest.setTimeout(60_000);

const API = 'Deployment/rel-pca-agent-api';
const REDIS = 'StatefulSet/rel-pca-agent-redis';
const defaults = chartScenarios().find((s) => s.name === 'defaults')!;
let rendered: Release;

beforeAll(() => {
  rendered = renderRelease(defaults);
});
afterAll(() => Stack.stopAll());

function container(release: Release, ref: string, name: string): Container {
  const [kind, objName] = ref.split('/') as [string, string];
  const o = release.get(kind, objName);
  const spec = kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : kind === 'Pod' ? o.spec : o.spec.template.spec;
  return (spec.containers as Container[]).find((c) => c.name === name)!;
}

const env = (c: Container, name: string) => c.env!.find((e) => e.name === name);

async function startFails(mutate: (r: Release) => void, opts: Parameters<typeof Stack.start>[1] = {}): Promise<string> {
  const release = rendered.clone();
  mutate(release);
  let stack: Stack | undefined;
  try {
    stack = await Stack.start(release, opts);
    await stack.waitReady();
    await stack.runToCompletion('job');
    await stack.runToCompletion('test');
  } catch (e) {
    return (e as Error).message;
  } finally {
    await stack?.stop();
  }
  throw new Error('the harness accepted the broken wiring');
}

describe('wiring errors found before anything runs', () => {
  test.each<[string, (r: Release) => void, RegExp]>([
    [
      'a secretKeyRef to a key the Secret does not have',
      (r) => (env(container(r, API, 'api'), 'REDIS_PASSWORD').valueFrom.secretKeyRef.key = 'redis-pasword'),
      /Deployment\/rel-pca-agent-api container "api": env REDIS_PASSWORD: Secret rel-pca-agent-redis has no key "redis-pasword" \(keys: redis-password\)/,
    ],
    [
      'a secretKeyRef to a Secret the chart does not render',
      (r) => (env(container(r, 'Pod/rel-pca-agent-smoke-test', 'smoke'), 'API_KEYS').valueFrom.secretKeyRef.name = 'rel-pca-agent-authx'),
      /Pod\/rel-pca-agent-smoke-test container "smoke": env API_KEYS: Secret rel-pca-agent-authx \(key "API_KEYS"\) is not rendered/,
    ],
    [
      'an envFrom ConfigMap the chart does not render',
      (r) => (container(r, 'Deployment/rel-pca-agent-worker', 'worker').envFrom![0].configMapRef.name = 'rel-pca-agent-conf'),
      /Deployment\/rel-pca-agent-worker container "worker": envFrom ConfigMap rel-pca-agent-conf is not rendered/,
    ],
    [
      'a ConfigMap value that is not a string',
      (r) => (r.get('ConfigMap', 'rel-pca-agent-config').data.PORT = 8000),
      /ConfigMap rel-pca-agent-config: data.PORT is number 8000, not a string/,
    ],
    [
      'a misspelt variable name',
      (r) => (env(container(r, 'Deployment/rel-pca-agent-worker', 'worker'), 'REDIS_URL').name = 'REDIS_ULR'),
      /Deployment\/rel-pca-agent-worker container "worker": sets REDIS_ULR, which the app never reads \(did you mean REDIS_URL\?\)/,
    ],
    [
      'a $(VAR) reference to a variable defined after it',
      // The chart itself puts no credential in a URL any more; an extraEnv entry can still refer to the chart's.
      (r) => void container(r, API, 'api').env!.unshift({ name: 'REDIS_URL_WITH_PASSWORD', value: 'redis://:$(REDIS_PASSWORD)@x:6379' }),
      /Deployment\/rel-pca-agent-api container "api": env REDIS_URL_WITH_PASSWORD refers to \$\(REDIS_PASSWORD\), which is not defined before it/,
    ],
    [
      'a containerPort renamed under its Service',
      (r) => (container(r, API, 'api').ports![0]!.name = 'web'),
      /Service rel-pca-agent-api port http \(targetPort "http"\): port "http" is not a declared port of Deployment\/rel-pca-agent-api \(declared: web=8000\)/,
    ],
    [
      'a Service targetPort number no container declares',
      (r) => (r.get('Service', 'rel-pca-agent-worker').spec.ports[0].targetPort = 9465),
      /Service rel-pca-agent-worker port http \(targetPort 9465\): 9465 is not a declared containerPort of Deployment\/rel-pca-agent-worker \(declared: 9464\)/,
    ],
    [
      'a Service whose selector picks no pod',
      (r) => (r.get('Service', 'rel-pca-agent-redis').spec.selector['app.kubernetes.io/component'] = 'cache'),
      /Service rel-pca-agent-redis: selector .* picks no pod template/,
    ],
    [
      'a misspelt Service name in a URL',
      (r) => (env(container(r, 'Pod/rel-pca-agent-smoke-test', 'smoke'), 'PCA_API_URL').value = 'http://rel-pca-agent-ap:8000'),
      /Pod\/rel-pca-agent-smoke-test container "smoke": env PCA_API_URL: host "rel-pca-agent-ap" is no Service of the release/,
    ],
    [
      'a URL to a port the Service does not expose',
      (r) => (r.get('ConfigMap', 'rel-pca-agent-config').data.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://rel-pca-agent-otel-collector:4319'),
      /env OTEL_EXPORTER_OTLP_ENDPOINT: "http:\/\/rel-pca-agent-otel-collector:4319": Service rel-pca-agent-otel-collector has no port 4319 \(ports: otlp-grpc=4317, otlp-http=4318, metrics=8888\)/,
    ],
    [
      'a command path the image does not contain',
      (r) => {
        const c = container(r, 'CronJob/rel-pca-agent-health-check', 'task');
        c.command = c.command!.map((a) => a.replace('dist/services/src/main.js', 'dist/service/src/main.js'));
      },
      /CronJob\/rel-pca-agent-health-check container "task": argument "dist\/service\/src\/main.js" is \/app\/dist\/service\/src\/main.js in the image, which the Dockerfile does not COPY/,
    ],
    [
      'an args entry that refers to an undefined variable',
      (r) => (container(r, API, 'api').args = ['$(ROLE)']),
      /Deployment\/rel-pca-agent-api container "api": command\/args refer to \$\(ROLE\)/,
    ],
    [
      'a serviceAccountName the chart does not render',
      (r) => (r.get('Deployment', 'rel-pca-agent-worker').spec.template.spec.serviceAccountName = 'rel-pca-agent-workers'),
      /Deployment\/rel-pca-agent-worker: serviceAccountName rel-pca-agent-workers is not rendered/,
    ],
    [
      'a ConfigMap volume the chart does not render',
      (r) => (r.get('Deployment', 'rel-pca-agent-otel-collector').spec.template.spec.volumes.find((v: any) => v.configMap).configMap.name = 'rel-pca-agent-otel'),
      /Deployment\/rel-pca-agent-otel-collector volume "config": ConfigMap rel-pca-agent-otel is not rendered/,
    ],
    [
      'a ScaledObject that scales a Deployment the chart does not render',
      (r) => (r.get('ScaledObject', 'rel-pca-agent-worker').spec.scaleTargetRef.name = 'rel-pca-agent-workers'),
      /ScaledObject rel-pca-agent-worker: scaleTargetRef Deployment\/rel-pca-agent-workers is not rendered/,
    ],
    [
      'a PodDisruptionBudget whose selector picks no pods',
      (r) => (r.get('PodDisruptionBudget', 'rel-pca-agent-api').spec.selector.matchLabels['app.kubernetes.io/component'] = 'apis'),
      /PodDisruptionBudget rel-pca-agent-api: selector picks no workload/,
    ],
    [
      "the Collector's own metrics served on localhost, its default, where no scraper reaches them",
      (r) => {
        const cm = r.get('ConfigMap', 'rel-pca-agent-otel-collector');
        cm.data['config.yaml'] = String(cm.data['config.yaml']).replace('host: 0.0.0.0', 'host: localhost');
      },
      /Deployment\/rel-pca-agent-otel-collector container "otel-collector" \(\/conf\/config.yaml\): service.telemetry.metrics serves on host "localhost", which no scraper outside the pod reaches/,
    ],
    [
      'a third-party container whose secret reference breaks',
      (r) => (env(container(r, REDIS, 'redis'), 'REDIS_PASSWORD').valueFrom.secretKeyRef.key = 'password'),
      /StatefulSet\/rel-pca-agent-redis container "redis": env REDIS_PASSWORD: Secret rel-pca-agent-redis has no key "password"/,
    ],
  ])('%s', async (_name, mutate, expected) => {
    expect(await startFails(mutate)).toMatch(expected);
  });
});

describe('wiring errors found by running the processes', () => {
  // A short probe deadline: these pods never become ready, and the API is ready in ~2 s when they are.
  const quick = { only: [API, REDIS], probes: { deadlineMs: 8000 } };

  test('a readiness probe on a path the app does not serve', async () => {
    const message = await startFails((r) => (container(r, API, 'api').readinessProbe.httpGet.path = '/readyz'), quick);
    expect(message).toMatch(/Deployment\/rel-pca-agent-api container "api": readinessProbe httpGet HTTP port "http" \(pod port 8000 → 127\.0\.0\.1:\d+\) path \/readyz: did not succeed by its deadline; last result: HTTP 4\d\d/);
  });

  test('a containerPort number the app does not listen on (PORT stays 8000)', async () => {
    const message = await startFails((r) => (container(r, API, 'api').ports![0]!.containerPort = 8001), quick);
    expect(message).toMatch(/Deployment\/rel-pca-agent-api container "api": startupProbe httpGet HTTP port "http" \(pod port 8001 → 127\.0\.0\.1:\d+\) path \/health: did not succeed by its deadline; last result: ECONNREFUSED/);
  });

  test('the Redis password taken from the wrong Secret key', async () => {
    const message = await startFails((r) => Object.assign(env(container(r, API, 'api'), 'REDIS_PASSWORD').valueFrom.secretKeyRef, { name: 'rel-pca-agent-auth', key: 'JWT_SECRET' }), quick);
    expect(message).toMatch(/Deployment\/rel-pca-agent-api container "api": readinessProbe .* path \/ready: did not succeed by its deadline; last result: HTTP 503/);
  });

  test('a command with a role main.js does not know', async () => {
    const message = await startFails((r) => (container(r, API, 'api').command = [...container(r, API, 'api').command!.slice(0, -1), 'apii']), quick);
    expect(message).toMatch(/Deployment\/rel-pca-agent-api container "api": startupProbe .*: the process exited \(code 2, signal null\) before the probe succeeded[\s\S]*usage: main.js/);
  });

  test('a CronJob whose task name the task role rejects', async () => {
    const message = await startFails((r) => {
      const c = container(r, 'CronJob/rel-pca-agent-cleanup-old-reports', 'task');
      c.command = c.command!.map((a) => (a === 'cleanup_old_reports' ? 'cleanup_old_report' : a));
    }, { only: ['CronJob/rel-pca-agent-cleanup-old-reports'] });
    expect(message).toMatch(/CronJob\/rel-pca-agent-cleanup-old-reports container "task" exited 2: .* task cleanup_old_report( --timeout \d+)?\n[\s\S]*unknown job "cleanup_old_report"/);
  });

  test('a KEDA trigger address with a short Service name (the operator runs in its own namespace)', async () => {
    const release = rendered.clone();
    for (const t of release.get('ScaledObject', 'rel-pca-agent-worker').spec.triggers) t.metadata.address = 'rel-pca-agent-redis:6379';
    const stack = await Stack.start(release, quick);
    try {
      await stack.waitReady();
      await expect(stack.checkKedaSeesWork(() => stack.submitReport())).rejects.toThrow(
        /ScaledObject rel-pca-agent-worker trigger queue-reports address: host "rel-pca-agent-redis" is no Service of the release \(a short name does not resolve from namespace keda\)/,
      );
    } finally {
      await stack.stop();
    }
  });
});

describe('the Redis container probes, run against the stand-in', () => {
  async function probeCheck(command: string[], mutate: (c: Container) => void = () => undefined): Promise<string[]> {
    const release = rendered.clone();
    const redis = container(release, REDIS, 'redis');
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) redis[p].exec.command = command;
    mutate(redis);
    const stack = await Stack.start(release, { only: [REDIS] });
    try {
      return await stack.checkStandInProbes();
    } finally {
      await stack.stop();
    }
  }

  test('redis-cli without -e passes even when Redis refuses it', async () => {
    await expect(probeCheck(['redis-cli', '-p', '6379', 'ping'])).rejects.toThrow(
      /StatefulSet\/rel-pca-agent-redis container "redis": startupProbe exec \["redis-cli","-p","6379","ping"\]: exits 0 when Redis refuses it \(.*WRONGPASS.*\)/,
    );
  });

  test('redis-cli -e, or a shell comparing the reply, passes with the password and fails without it', async () => {
    expect(await probeCheck(['redis-cli', '-e', '-p', '6379', 'ping'])).toHaveLength(3);
    expect(await probeCheck(['sh', '-c', '[ "$(redis-cli -p 6379 ping)" = PONG ]'])).toHaveLength(3);
    await expect(probeCheck(['redis-cli', '-e', '-p', '6379', 'ping'], (c) => (c.env = c.env!.filter((e) => e.name !== 'REDISCLI_AUTH')))).rejects.toThrow(
      /startupProbe exec .*: exits 1 against a healthy Redis with the container's env: NOAUTH/,
    );
  });
});

test('the egress audit names a process that connects to a port the release did not hand out', async () => {
  const decoy = createServer((s) => s.on('error', () => undefined));
  decoy.listen(0, '127.0.0.1');
  await once(decoy, 'listening');
  const port = (decoy.address() as AddressInfo).port;
  const child = spawn(process.execPath, ['-e', `require('net').connect(${port}, '127.0.0.1'); setTimeout(() => {}, 30000)`], { stdio: 'ignore' });
  const monitor = new EgressMonitor(50);
  try {
    monitor.watch(child.pid, 'Deployment/x container "y"');
    await waitFor('the connection to show', () => monitor.connections()[0]!.peers.length > 0, 5000);
    expect(() => monitor.check(new Set([port]))).not.toThrow();
    expect(() => monitor.check(new Set())).toThrow(new RegExp(`Deployment/x container "y" connected to 127\\.0\\.0\\.1:${port}`));
  } finally {
    monitor.stop();
    child.kill('SIGKILL');
    decoy.close();
  }
});
