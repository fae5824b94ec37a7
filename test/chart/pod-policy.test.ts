import { APP_ENTRYPOINT } from '../../cdk8s/lib/app-container';
import { podSpecs, scenarioRenders, type K8sObject } from './helm';

const STANDARD_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
const COMPONENTS = ['app', 'api', 'worker', 'dashboard', 'redis', 'otel-collector', 'jaeger', 'cronjob', 'test'];

function decodedSecretValues(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'Secret')
    .flatMap((o) => Object.values((o as unknown as { data?: Record<string, string> }).data ?? {}))
    .map((b64) => Buffer.from(b64, 'base64').toString())
    .filter((v) => v.length >= 8);
}

describe.each(scenarioRenders().map((r) => [r.name, r.objects] as const))('pod security and hygiene: %s', (_name, objects) => {
  const pods = podSpecs(objects);

  test('every pod is non-root with a fixed UID, no service-account token, no host namespaces or hostPath', () => {
    expect(pods.length).toBeGreaterThan(3);
    for (const { owner, spec } of pods) {
      const where = `${owner.kind}/${owner.metadata.name}`;
      expect({ where, automount: spec.automountServiceAccountToken }).toEqual({ where, automount: false });
      expect({ where, nonRoot: spec.securityContext?.runAsNonRoot, seccomp: spec.securityContext?.seccompProfile?.type }).toEqual({ where, nonRoot: true, seccomp: 'RuntimeDefault' });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect({ where, host: [spec.hostNetwork, spec.hostPID, spec.hostIPC].filter(Boolean) }).toEqual({ where, host: [] });
      expect({ where, hostPath: (spec.volumes ?? []).filter((v: any) => v.hostPath) }).toEqual({ where, hostPath: [] });
      expect(spec.serviceAccountName).toMatch(/^rel-pca-agent(-|$)/);
    }
  });

  test('every container: fixed UID, read-only root fs with /tmp emptyDir, no escalation, ALL dropped, resources, pinned image', () => {
    for (const { owner, spec } of pods) {
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const where = `${owner.kind}/${owner.metadata.name}/${c.name}`;
        const sc = c.securityContext ?? {};
        expect({ where, sc: { nonRoot: sc.runAsNonRoot, ro: sc.readOnlyRootFilesystem, esc: sc.allowPrivilegeEscalation, priv: sc.privileged ?? false, drop: sc.capabilities?.drop, add: sc.capabilities?.add, seccomp: sc.seccompProfile?.type } }).toEqual({
          where,
          sc: { nonRoot: true, ro: true, esc: false, priv: false, drop: ['ALL'], add: undefined, seccomp: 'RuntimeDefault' },
        });
        expect(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0).toBe(true);
        const tmp = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/tmp');
        expect({ where, tmpIsEmptyDir: Boolean(tmp && spec.volumes.find((v: any) => v.name === tmp.name)?.emptyDir) }).toEqual({ where, tmpIsEmptyDir: true });
        expect({ where, requests: Object.keys(c.resources?.requests ?? {}).sort(), limits: Object.keys(c.resources?.limits ?? {}).sort() }).toEqual({ where, requests: ['cpu', 'memory'], limits: ['cpu', 'memory'] });
        expect(c.image).toMatch(/^[^:]+:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
        expect(c.image.endsWith(':latest')).toBe(false);
        expect(c.imagePullPolicy).toBe('IfNotPresent');
      }
    }
  });

  test('every long-running container has startup, readiness and liveness probes; app pods run the image entry point', () => {
    for (const { owner, spec, longRunning } of pods) {
      for (const c of spec.containers) {
        const where = `${owner.kind}/${owner.metadata.name}/${c.name}`;
        if (longRunning) expect({ where, probes: [Boolean(c.startupProbe), Boolean(c.readinessProbe), Boolean(c.livenessProbe)] }).toEqual({ where, probes: [true, true, true] });
        if (c.image.startsWith('ghcr.io/pca-agent/pca-agent:')) {
          expect(c.command.slice(0, APP_ENTRYPOINT.length)).toEqual([...APP_ENTRYPOINT]);
          expect(spec.securityContext.runAsUser).toBe(10001);
          expect(c.securityContext.runAsUser).toBe(10001);
        }
      }
    }
  });

  test('no secret value appears in a ConfigMap or an env literal; secrets reach pods by secretKeyRef', () => {
    const secrets = decodedSecretValues(objects);
    const literals: string[] = [];
    for (const o of objects.filter((x) => x.kind === 'ConfigMap')) literals.push(...Object.values((o as any).data ?? {}).map(String));
    for (const { spec } of pods) for (const c of spec.containers) for (const e of c.env ?? []) if (typeof e.value === 'string') literals.push(e.value);
    for (const s of secrets) for (const l of literals) expect(l.includes(s)).toBe(false);
    for (const { spec } of pods) {
      for (const c of spec.containers) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET|API_KEYS|AUTH/.test(e.name)) expect(e.valueFrom?.secretKeyRef).toBeDefined();
          // No credential is ever part of a URL literal: REDIS_PASSWORD comes from its Secret on its own.
          if (e.name === 'REDIS_URL' && e.value) expect(e.value).toBe('redis://rel-pca-agent-redis:6379/0');
        }
      }
    }
  });

  test('standard labels on every object; selectors use only name, instance and component', () => {
    for (const o of objects) {
      const labels = o.metadata.labels ?? {};
      for (const l of STANDARD_LABELS) expect({ obj: `${o.kind}/${o.metadata.name}`, l, has: l in labels }).toEqual({ obj: `${o.kind}/${o.metadata.name}`, l, has: true });
      expect(labels['app.kubernetes.io/name']).toBe('pca-agent');
      expect(labels['app.kubernetes.io/instance']).toBe('rel');
      expect(labels['app.kubernetes.io/managed-by']).toBe('Helm');
      expect(COMPONENTS).toContain(labels['app.kubernetes.io/component']);
      const selector = (o as any).spec?.selector?.matchLabels ?? (o.kind === 'Service' ? (o as any).spec.selector : undefined);
      // The app's ServiceMonitor selects two components with a matchExpression; everything else selects exactly one.
      const expected = o.kind === 'ServiceMonitor' && o.metadata.name.endsWith('-metrics') ? ['app.kubernetes.io/instance', 'app.kubernetes.io/name'] : ['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name'];
      if (selector) expect(Object.keys(selector).sort()).toEqual(expected);
    }
    for (const o of objects.filter((x) => x.kind === 'CronJob')) expect(o.metadata.labels?.['pca-agent.io/task']).toMatch(/^[a-z_]+$/);
  });
});
