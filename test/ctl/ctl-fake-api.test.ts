import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runCtl } from '../../services/src/ctl/main';
import { SCHEDULED_JOBS } from '../../services/src/queues/contract';
import { freePort } from '../helpers/child-process';
import { FakeKubeApi, type K8sObject } from '../helpers/fake-kube-api';
import { waitFor } from '../helpers/wait';
import { releaseManifests, settle } from './release-objects';

const RELEASE = 'pca-agent';
const NS = 'pca';
const manifests = releaseManifests(RELEASE, NS);
const workloadNames = manifests.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.metadata!.name);
const cronJob = (task: string): K8sObject => manifests.objects.find((o) => o.kind === 'CronJob' && o.metadata?.labels?.['pca-agent.io/task'] === task)!;

function capture() {
  let out = '';
  let err = '';
  return {
    io: { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) }, env: {} as NodeJS.ProcessEnv },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

describe(`ctl against a fake Kubernetes API server (not a cluster), objects from the ${manifests.source}`, () => {
  let api: FakeKubeApi;
  let kubeconfig: string;

  beforeEach(async () => {
    api = new FakeKubeApi(settle(manifests.objects));
    await api.start();
    kubeconfig = api.writeKubeconfig({ namespace: NS });
  });
  afterEach(async () => {
    await api.stop();
  });

  const ctl = async (...args: string[]) => {
    const c = capture();
    const code = await runCtl([...args, '--kubeconfig', kubeconfig], c.io);
    return { code, out: c.out, err: c.err };
  };

  describe('status', () => {
    it('reports a settled release healthy, in the namespace of the context, selecting by release labels', async () => {
      const { code, out, err } = await ctl('status');
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toMatch(/^Release pca-agent in namespace pca \(context kind-pca-agent\): healthy/);
      for (const name of workloadNames) expect(out).toContain(`/${name}`);
      for (const [job, { schedule }] of Object.entries(SCHEDULED_JOBS)) expect(out).toMatch(new RegExp(`${cronJob(job).metadata!.name}\\s+${job}\\s+${schedule.replace(/\*/g, '\\*')}`));
      expect(out).toContain('All pods ready, none restarted.');
      const deploymentList = api.requests.find((r) => r.path === `/apis/apps/v1/namespaces/${NS}/deployments`);
      expect(deploymentList?.query.labelSelector).toBe('app.kubernetes.io/name=pca-agent,app.kubernetes.io/instance=pca-agent');
    });

    it('prints JSON for scripts with every workload, the worker ScaledObject and the three CronJobs', async () => {
      const { code, out } = await ctl('status', '--json');
      expect(code).toBe(0);
      const status = JSON.parse(out);
      expect(status).toMatchObject({ release: RELEASE, namespace: NS, healthy: true });
      expect(status.workloads.map((w: { name: string }) => w.name).sort()).toEqual([...workloadNames].sort());
      expect(status.cronJobs.map((c: { task: string }) => c.task).sort()).toEqual(Object.keys(SCHEDULED_JOBS).sort());
      const worker = status.autoscalers.find((a: { kind: string }) => a.kind === 'ScaledObject');
      expect(worker).toMatchObject({ ready: true, level: 'ok' });
      expect(worker.target).toMatch(/worker$/);
    });

    it('exits 1 and names the pod when one crash-loops', async () => {
      const pod = api.list('Pod').find((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === 'api')!;
      const status = pod.status as { conditions: Array<{ type: string; status: string }>; containerStatuses: Array<Record<string, unknown>> };
      status.conditions = [{ type: 'Ready', status: 'False' }];
      status.containerStatuses[0] = { ...status.containerStatuses[0], ready: false, restartCount: 6, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } } };
      const { code, out } = await ctl('status');
      expect(code).toBe(1);
      expect(out).toContain('UNHEALTHY');
      expect(out).toMatch(new RegExp(`${pod.metadata!.name}\\s+api\\s+Running\\s+false\\s+6\\s+CrashLoopBackOff\\s+FAIL`));
    });

    it('works on a cluster without KEDA (its API group answers 404)', async () => {
      api.kedaInstalled = false;
      const { code, out } = await ctl('status', '--json');
      expect(code).toBe(0);
      expect(JSON.parse(out).autoscalers).toEqual([]);
    });

    it('says in one sentence that an unknown release is not there', async () => {
      const { code, out, err } = await ctl('status', '--release', 'shop');
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toBe(
        'pca-agent-ctl: Release "shop" not found in namespace "pca": nothing is labelled app.kubernetes.io/name=pca-agent,app.kubernetes.io/instance=shop; check --namespace and --release (`helm list -A` lists releases).\n',
      );
    });

    it('says in one sentence what RBAC forbids, without a stack trace', async () => {
      api.fail(/\/deployments$/, 403, 'Forbidden', 'deployments.apps is forbidden: User "dev" cannot list resource "deployments" in API group "apps" in the namespace "pca"');
      const { code, err } = await ctl('status');
      expect(code).toBe(1);
      expect(err).toBe(
        'pca-agent-ctl: Forbidden by RBAC (403) (context "kind-pca-agent"): deployments.apps is forbidden: User "dev" cannot list resource "deployments" in API group "apps" in the namespace "pca"; ask for a Role that allows it in namespace "pca".\n',
      );
    });
  });

  describe('run', () => {
    it('creates the Job kubectl create job --from=cronjob would, and with --wait prints its logs and outcome', async () => {
      api.jobScript = { outcome: 'succeed', logs: '{"level":"info","msg":"health_check ok"}\n' };
      const { code, out } = await ctl('run', 'health_check', '--wait', '--timeout', '10');
      // it listed the Job (still running then) and learned of its end from a watch, not by polling
      const jobRequests = api.requests.filter((r) => r.path === `/apis/batch/v1/namespaces/${NS}/jobs` && r.method === 'GET');
      expect(jobRequests.map((r) => r.query.watch)).toEqual([undefined, 'true']);
      expect(jobRequests[1]!.query).toMatchObject({ fieldSelector: expect.stringMatching(/^metadata\.name=/), resourceVersion: expect.stringMatching(/^\d+$/) });
      const cj = api.list('CronJob').find((c) => c.metadata?.labels?.['pca-agent.io/task'] === 'health_check')!;
      const post = api.requests.find((r) => r.method === 'POST' && r.path === `/apis/batch/v1/namespaces/${NS}/jobs`)!;
      expect(post.body?.metadata).toMatchObject({
        name: expect.stringMatching(new RegExp(`^${cj.metadata!.name}-manual-[a-z0-9]{5}$`)),
        annotations: expect.objectContaining({ 'cronjob.kubernetes.io/instantiate': 'manual' }),
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata!.name, uid: cj.metadata!.uid, controller: true }],
      });
      const template = (cj.spec as { jobTemplate: { spec: { template: { spec: { containers: Array<{ command?: string[]; args?: string[] }> } } } } }).jobTemplate.spec;
      const sent = post.body!.spec as typeof template;
      expect(sent.template.spec.containers[0]!.command).toEqual(template.template.spec.containers[0]!.command);
      // health_check runs inside its pod (--inline): it needs no worker.
      expect([...(sent.template.spec.containers[0]!.command ?? []), ...(sent.template.spec.containers[0]!.args ?? [])].slice(-5)).toEqual(['task', 'health_check', '--inline', '--timeout', '60']);
      expect(out).toContain(`Created job ${post.body!.metadata!.name} from cronjob ${cj.metadata!.name} in namespace ${NS}.`);
      expect(out).toContain('{"level":"info","msg":"health_check ok"}');
      expect(out).toMatch(/Job \S+ succeeded after \d+s\.\n$/);
      expect(code).toBe(0);
    });

    it('exits 1 with the reason when the Job fails', async () => {
      api.jobScript = { outcome: 'fail', logs: 'Error: redis unreachable\n' };
      const { code, out } = await ctl('run', 'cleanup-old-reports', '--wait');
      expect(code).toBe(1);
      expect(out).toContain('Error: redis unreachable');
      expect(out).toMatch(/failed after \d+s: BackoffLimitExceeded: Job has reached the specified backoff limit/);
    });

    it('gives up after --timeout and says how to follow the Job', async () => {
      api.jobScript = { outcome: 'hang', logs: '' };
      const { code, out } = await ctl('run', 'refresh_benchmarks', '--wait', '--timeout', '0.1');
      expect(code).toBe(1);
      expect(out).toMatch(/is still running after 0s; follow it with: kubectl logs -f job\/\S+-manual-\S+ -n pca/);
    });

    it('without --wait only creates the Job', async () => {
      const { code, out } = await ctl('run', 'health_check');
      expect(code).toBe(0);
      expect(out).toMatch(/Follow it with: kubectl logs -f job\/\S+ -n pca\n$/);
      expect(api.list('Job')).toHaveLength(1);
    });

    it('lists the tasks when the task is unknown', async () => {
      const { code, err } = await ctl('run', 'generate_pdf_report');
      expect(code).toBe(1);
      expect(err).toMatch(/^pca-agent-ctl: No task "generate_pdf_report" in release "pca-agent"; its tasks are: /);
      for (const job of Object.keys(SCHEDULED_JOBS)) expect(err).toContain(job);
    });
  });

  describe('wait', () => {
    it('returns 0 once every workload is rolled out and ready', async () => {
      const { code, out } = await ctl('wait', '--timeout', '5');
      expect(code).toBe(0);
      expect(out).toContain(`All ${workloadNames.length} workloads of pca-agent are rolled out and ready`);
    });

    it('waits while a rollout progresses and finishes when the watch reports it done', async () => {
      const dashboard = api.list('Deployment').find((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'dashboard')!;
      const status = dashboard.status as Record<string, number>;
      api.modify(dashboard, () => (status.updatedReplicas = 0));
      const c = capture();
      const waiting = runCtl(['wait', '--timeout', '10', '--kubeconfig', kubeconfig], c.io);
      const progress = `${dashboard.metadata!.name} ${status.replicas}/${status.replicas} 0 of ${status.replicas} replicas updated`;
      await waitFor('wait to report the rollout in progress and watch both kinds', () => c.out.includes(progress) && api.watching('Deployment') === 1 && api.watching('StatefulSet') === 1);
      api.modify(dashboard, () => (status.updatedReplicas = status.replicas!));
      expect(await waiting).toBe(0);
      expect(c.out).toContain(`All ${workloadNames.length} workloads of pca-agent are rolled out and ready`);
    });

    it('times out naming what is not ready', async () => {
      const api1 = api.list('Deployment').find((d) => d.metadata?.labels?.['app.kubernetes.io/component'] === 'api')!;
      (api1.status as Record<string, number>).readyReplicas = 0;
      (api1.status as Record<string, number>).availableReplicas = 0;
      const { code, err } = await ctl('wait', '--timeout', '0.1');
      expect(code).toBe(1);
      expect(err).toMatch(new RegExp(`^pca-agent-ctl: Timed out after 0s waiting for ${api1.metadata!.name} \\(no ready replicas`));
    });

    it('says in one sentence when RBAC forbids what wait watches', async () => {
      api.fail(/\/statefulsets$/, 403, 'Forbidden', 'statefulsets.apps is forbidden: User "dev" cannot watch resource "statefulsets"');
      const { code, err } = await ctl('wait', '--timeout', '10');
      expect(code).toBe(1);
      expect(err).toBe(
        'pca-agent-ctl: Forbidden by RBAC (403) (context "kind-pca-agent"): statefulsets.apps is forbidden: User "dev" cannot watch resource "statefulsets"; ask for a Role that allows it in namespace "pca".\n',
      );
    });
  });

  describe('dashboards', () => {
    it('forwards API docs, Jaeger UI and the queue dashboard through the API port-forward until stopped, then frees the ports', async () => {
      const [apiPort, jaegerPort, dashboardPort] = [await freePort(), await freePort(), await freePort()];
      const c = capture();
      const stop = new AbortController();
      const running = runCtl(
        ['dashboards', '--kubeconfig', kubeconfig, '--api-port', String(apiPort), '--jaeger-port', String(jaegerPort), '--dashboard-port', String(dashboardPort)],
        { ...c.io, signal: stop.signal },
      );
      for (let i = 0; i < 200 && !c.out.includes('Ctrl-C') && !c.err; i++) await new Promise((r) => setTimeout(r, 10));
      expect(c.err).toBe('');
      expect(c.out).toContain(`http://127.0.0.1:${apiPort}/api/docs`);
      expect(c.out).toContain(`http://127.0.0.1:${jaegerPort}/`);
      expect(c.out).toContain(`http://127.0.0.1:${dashboardPort}/`);

      const apiPod = api.list('Pod').find((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === 'api')!;
      const docs = await fetch(`http://127.0.0.1:${apiPort}/api/docs`);
      expect(await docs.text()).toBe(`pod=${apiPod.metadata!.name} port=8000`);
      const jaeger = await fetch(`http://127.0.0.1:${jaegerPort}/`);
      expect(await jaeger.text()).toMatch(/^pod=\S+-jaeger-\S+ port=16686$/);
      const queues = await fetch(`http://127.0.0.1:${dashboardPort}/`);
      expect(await queues.text()).toMatch(/^pod=\S+-dashboard-\S+ port=5555$/);

      stop.abort();
      expect(await running).toBe(0);
      expect(c.out).toContain('Stopped; local ports freed.');
      for (const port of [apiPort, jaegerPort, dashboardPort]) {
        const probe = createServer();
        await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '127.0.0.1', resolve));
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      }
    });

    it("forwards kube-prometheus-stack's Grafana from its own namespace when the cluster runs one", async () => {
      const labels = { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kube-prometheus-stack' };
      api.add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-prometheus-stack-grafana', namespace: 'monitoring', labels }, spec: { selector: labels, ports: [{ name: 'http-web', port: 80, targetPort: 3000 }] } });
      api.add({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'kube-prometheus-stack-grafana-abc12', namespace: 'monitoring', labels },
        spec: { containers: [{ name: 'grafana', image: 'grafana/grafana', ports: [{ name: 'grafana', containerPort: 3000 }] }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
      const grafanaPort = await freePort();
      const c = capture();
      const stop = new AbortController();
      const running = runCtl(
        ['dashboards', '--kubeconfig', kubeconfig, '--api-port', String(await freePort()), '--jaeger-port', String(await freePort()), '--dashboard-port', String(await freePort()), '--grafana-port', String(grafanaPort)],
        { ...c.io, signal: stop.signal },
      );
      for (let i = 0; i < 200 && !c.out.includes('Ctrl-C') && !c.err; i++) await new Promise((r) => setTimeout(r, 10));
      expect(c.err).toBe('');
      expect(c.out).toMatch(new RegExp(`Grafana\\s+http://127\\.0\\.0\\.1:${grafanaPort}/dashboards\\?tag=pca-agent  \\(service kube-prometheus-stack-grafana:80\\)`));
      const page = await fetch(`http://127.0.0.1:${grafanaPort}/`);
      expect(await page.text()).toBe('pod=kube-prometheus-stack-grafana-abc12 port=3000');
      expect(api.requests.some((r) => r.method === 'WS' && r.path === '/api/v1/namespaces/monitoring/pods/kube-prometheus-stack-grafana-abc12/portforward')).toBe(true);
      stop.abort();
      expect(await running).toBe(0);
    });

    it('says Grafana is not forwarded when the cluster has none', async () => {
      const c = capture();
      const stop = new AbortController();
      stop.abort();
      const code = await runCtl(['dashboards', '--kubeconfig', kubeconfig, '--api-port', String(await freePort()), '--dashboard-port', String(await freePort()), '--jaeger-port', String(await freePort())], {
        ...c.io,
        signal: stop.signal,
      });
      expect(code).toBe(0);
      expect(c.out).toContain("Grafana: not forwarded, no Service labelled app.kubernetes.io/name=grafana (kube-prometheus-stack's Grafana) that this context can list");
    });

    it('says which dashboard is disabled and forwards the others', async () => {
      const jaegerSvc = api.list('Service').find((s) => s.metadata?.labels?.['app.kubernetes.io/component'] === 'jaeger')!;
      jaegerSvc.metadata!.labels!['app.kubernetes.io/instance'] = 'elsewhere';
      const c = capture();
      const stop = new AbortController();
      stop.abort();
      const code = await runCtl(['dashboards', '--kubeconfig', kubeconfig, '--api-port', String(await freePort()), '--dashboard-port', String(await freePort()), '--jaeger-port', String(await freePort())], {
        ...c.io,
        signal: stop.signal,
      });
      expect(code).toBe(0);
      expect(c.out).toContain('Jaeger UI: not forwarded, no Service with app.kubernetes.io/component=jaeger in the release (disabled in the values?)');
      expect(c.out).toMatch(/API docs\s+http:\/\/127\.0\.0\.1:\d+\/api\/docs/);
    });

    it('says which local port is taken', async () => {
      const busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const port = (busy.address() as { port: number }).port;
      try {
        const { code, err } = await ctl('dashboards', '--jaeger-port', String(port), '--api-port', String(await freePort()), '--dashboard-port', String(await freePort()));
        expect(code).toBe(1);
        expect(err).toBe(`pca-agent-ctl: Local port ${port} is already in use; pick another with --jaeger-port <port>.\n`);
      } finally {
        await new Promise<void>((resolve) => busy.close(() => resolve()));
      }
    });
  });

  describe('kubeconfig problems', () => {
    it('names the known contexts when --context is wrong', async () => {
      const { code, err } = await ctl('status', '--context', 'prod');
      expect(code).toBe(1);
      expect(err).toBe('pca-agent-ctl: Context "prod" is not in your kubeconfig; known contexts: kind-pca-agent.\n');
    });

    it('explains a missing kubeconfig', async () => {
      const c = capture();
      const code = await runCtl(['status'], { ...c.io, env: { KUBECONFIG: '/nonexistent/kubeconfig', HOME: '/nonexistent' } });
      expect(code).toBe(1);
      expect(c.err).toBe(
        'pca-agent-ctl: No kubeconfig file at /nonexistent/kubeconfig (from KUBECONFIG): create the cluster first (scripts/kind-up.sh) or point KUBECONFIG at an existing file.\n',
      );
      const none = capture();
      expect(await runCtl(['status'], { ...none.io, env: { HOME: '/nonexistent' } })).toBe(1);
      expect(none.err).toMatch(/^pca-agent-ctl: No kubeconfig found: neither KUBECONFIG nor \/nonexistent\/.kube\/config exists\./);
    });

    it('explains a cluster that does not answer', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pca-ctl-dead-'));
      try {
        const file = join(dir, 'kubeconfig');
        const deadUrl = `http://127.0.0.1:${await freePort()}`;
        writeFileSync(file, readFileSync(kubeconfig, 'utf8').replace(api.url, deadUrl));
        const c = capture();
        expect(await runCtl(['status', '--kubeconfig', file], c.io)).toBe(1);
        expect(c.err).toBe(
          `pca-agent-ctl: Cannot reach the Kubernetes API at ${deadUrl} (context "kind-pca-agent"): connection refused; is the cluster running (\`kind get clusters\`, \`minikube status\`)?\n`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('the built bin (CommonJS on Node 24) loads client-node and prints one sentence on a 403', () => {
    const bin = join(__dirname, '..', '..', 'dist', 'services', 'src', 'ctl', 'main.js');
    expect(existsSync(bin)).toBe(true); // `npm test` builds first (pretest); run `npm run build` when calling jest directly
    api.fail(/\/deployments$/, 403, 'Forbidden', 'deployments.apps is forbidden: User "dev" cannot list resource "deployments"');
    return new Promise<void>((resolve) => {
      // Asynchronously: a synchronous spawn would block the event loop the fake server answers on.
      const child = spawn(process.execPath, [bin, 'status', '--kubeconfig', kubeconfig], { env: { ...process.env, KUBECONFIG: '' } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => {
        expect(code).toBe(1);
        expect(stderr).toMatch(/^pca-agent-ctl: Forbidden by RBAC \(403\) \(context "kind-pca-agent"\): deployments\.apps is forbidden/);
        expect(stderr.trim().split('\n')).toHaveLength(1);
        resolve();
      });
    });
  });
});
