import { SERVICE_NAMES } from '../../services/src/telemetry/service-names';
import { chartScenarios, renderRelease, type Release } from './harness/release';
import { checkReferences } from './harness/references';
import { Stack } from './harness/stack';

/*
 * Every scenario of the chart, rendered with `helm template` (KEDA and ServiceMonitor CRDs present) and
 * run as local processes exactly as Kubernetes would start the pods of the project's image: command and
 * args against the Dockerfile, env from the rendered Secrets/ConfigMaps with $(VAR) expansion, Service
 * names mapped to local ports (harness/network.ts). Third-party images are stood in for.
 */
jest.setTimeout(150_000);
afterAll(() => Stack.stopAll());

/**
 * Pods (labels and spec) and Services are the same without the CRDs, so one run covers both renders;
 * only the scrape annotations differ, and those are checked against the running pods for both.
 */
function expectSamePods(withCrds: Release, without: Release): void {
  const pods = (r: Release) => Object.fromEntries(r.workloads().map((w) => [w.ref, { labels: w.template.metadata.labels, spec: w.template.spec }]));
  expect(pods(without)).toEqual(pods(withCrds));
  expect(without.ofKind('Service')).toEqual(withCrds.ofKind('Service'));
}

/**
 * Redis topologies the harness cannot stand in for (it runs one redis-server per Redis the chart names):
 * test/faults/redis-sentinel-failover.test.ts and redis-cluster.test.ts run them against real sentinels and
 * a real cluster, and test/chart/redis-topologies.test.ts checks what these scenarios render.
 */
const NOT_RUN_HERE = new Set(['external-redis-sentinel-values.yaml', 'external-redis-cluster-values.yaml']);

describe.each(chartScenarios().filter((s) => !NOT_RUN_HERE.has(s.name)).map((s) => [s.name, s] as const))('scenario %s', (_name, scenario) => {
  test('runs as Kubernetes would: probes pass, CronJobs and the helm test exit 0, the trace reaches the collector, KEDA sees queued work, no stray connections, Redis probes can fail', async () => {
    const release = renderRelease(scenario);
    const withoutCrds = renderRelease(scenario, { apiVersions: [] });
    expectSamePods(release, withoutCrds);
    checkReferences(withoutCrds, withoutCrds.workloads()); // its HPA instead of the ScaledObject

    const stack = await Stack.start(release);
    try {
      // 1. every started container passes its startup, readiness and liveness probes
      const probed = await stack.waitReady();
      expect(probed.some((p) => p.includes('readinessProbe'))).toBe(true);
      // every ServiceMonitor (the Collector's own among them) and every scrape annotation answers metrics
      const scraped = await stack.checkScrapes();
      for (const sm of release.ofKind('ServiceMonitor')) expect({ sm: sm.metadata.name, scraped: scraped.some((x) => x.startsWith(`ServiceMonitor ${sm.metadata.name} `)) }).toEqual({ sm: sm.metadata.name, scraped: true });
      const annotated = await stack.checkScrapes(withoutCrds);
      if (release.get('Deployment', 'rel-pca-agent-otel-collector')) expect(annotated.some((x) => x.startsWith('Deployment/rel-pca-agent-otel-collector annotation'))).toBe(true);

      // 2. the helm test pod (a real smoke: report submitted through the API, completed by a worker)
      const tests = await stack.runToCompletion('test');
      expect(tests).toHaveLength(1);
      const taskId = /task (\S+) completed/.exec(tests[0]!.stdout)?.[1];
      expect(taskId).toBeDefined();

      // 3. every CronJob's command against the same stack, while the smoke's spans arrive
      const [cronRuns, trace] = await Promise.all([stack.runToCompletion('job'), stack.tracingEnabled ? stack.traceOfTask(taskId!) : undefined]);
      expect(cronRuns).toHaveLength(release.ofKind('CronJob').length);

      // 4. the helm test's request as one trace: API server span → API producer → worker consumer
      if (stack.tracingEnabled) {
        expect(trace!.server).toMatchObject({ name: 'POST /api/v1/analyze-async' });
        // its parent is the helm test's own (sampled) traceparent, not a span of the release
        expect(trace!.trace.some((s) => s.spanId === trace!.server.parentSpanId)).toBe(false);
        expect(trace!.server.resource['service.name']).toBe(SERVICE_NAMES.api);
        expect(trace!.producer.resource['service.name']).toBe(SERVICE_NAMES.api);
        expect(trace!.consumer.resource['service.name']).toBe(SERVICE_NAMES.worker);
      } else {
        expect(stack.spans()).toEqual([]);
      }

      // 5. scaled to zero, the worker's KEDA triggers see a job the API queues
      const lengths = await stack.checkKedaSeesWork(() => stack.submitReport());
      if (release.ofKind('ScaledObject').length > 0) expect(lengths.some((l) => l.length > 0)).toBe(true);

      // 6. a request through every HTTPRoute and Ingress to the API (path prefix and rewrite as a Gateway applies them)
      const routes = await stack.checkRoutes();
      expect(routes.length).toBe(release.ofKind('HTTPRoute').filter((r) => r.metadata.name.endsWith('-api')).length + release.ofKind('Ingress').length);
      for (const r of routes) expect(r.status).toBe(200);

      // 7. nothing connected anywhere the release does not lead
      stack.checkEgress();

      // 8. the Redis container's own exec probes, run against its stand-in: pass when healthy, fail on an error reply
      await stack.checkStandInProbes();
    } finally {
      await stack.stop();
    }
  });
});
