import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { crdUnknownFields } from '../chart/crd-fields';
import { find, render } from '../chart/helm';
import { validateObjects } from '../chart/validate';

const root = join(__dirname, '..', '..');
const up = join(root, 'scripts', 'kind-up.sh');
const down = join(root, 'scripts', 'kind-down.sh');

/**
 * The scripts run against stub docker/kind/kubectl/helm/minikube that log their arguments, on a PATH that holds
 * nothing else but the shell utilities the scripts use: no cluster, no Docker, and a missing tool is really missing.
 */
function sandbox(tools: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pca-kind-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  mkdirSync(bin);
  for (const util of ['bash', 'grep', 'cat', 'printf', 'env', 'sh']) {
    const real = ['/usr/bin', '/bin'].map((d) => join(d, util)).find((p) => existsSync(p));
    if (real) symlinkSync(real, join(bin, util));
  }
  const stub = (name: string, body = '') => {
    writeFileSync(join(bin, name), `#!/bin/bash\necho "${name} $*" >> "${log}"\n${body}\nexit 0\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const bodies: Record<string, string> = {
    // `kubectl apply -f -` gets its manifest on stdin: keep it for the test to read.
    kubectl: `case " $* " in *" -f - "*) cat >> "${log}.stdin" ;; esac`,
    docker: 'if [ "$1" = info ] && [ -n "$STUB_DOCKER_DOWN" ]; then exit 1; fi',
    kind: 'if [ "$1 $2" = "get clusters" ]; then printf "%s\\n" $STUB_KIND_CLUSTERS; fi',
    minikube: 'if [ "$1" = status ] && [ -z "$STUB_MINIKUBE_RUNNING" ]; then exit 7; fi\nif [ "$1 $2" = "profile list" ]; then echo "{\\"valid\\":[{\\"Name\\":\\"$STUB_MINIKUBE_PROFILE\\"}]}"; fi',
  };
  for (const t of tools) stub(t, bodies[t]);
  const run = (script: string, args: string[] = []) => {
    const r = spawnSync(join(bin, 'bash'), [script, ...args], { env: { PATH: bin, HOME: dir, ...env }, encoding: 'utf8' });
    const stdin = existsSync(`${log}.stdin`) ? readFileSync(`${log}.stdin`, 'utf8') : '';
    return { code: r.status, out: r.stdout, err: r.stderr, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [], stdin };
  };
  return { run, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const ALL = ['docker', 'kind', 'kubectl', 'helm'];

describe('scripts/kind-up.sh and kind-down.sh (stub kind/kubectl/helm/docker, no cluster)', () => {
  it('creates the kind cluster, installs the pinned KEDA chart from kedacore, waits, and prints the next command', () => {
    const s = sandbox(ALL);
    try {
      const { code, out, calls } = s.run(up);
      expect(code).toBe(0);
      expect(calls).toContain('kind create cluster --name pca-agent --wait 120s');
      expect(calls).toContain('kubectl config use-context kind-pca-agent');
      const helm = calls.find((c) => c.startsWith('helm '));
      expect(helm).toMatch(/^helm upgrade --install keda keda --repo https:\/\/kedacore\.github\.io\/charts --version \d+\.\d+\.\d+ --namespace keda --create-namespace --kube-context kind-pca-agent --wait/);
      expect(calls).toContain('kubectl --context kind-pca-agent --namespace keda wait --for=condition=Available deployment --all --timeout=300s');
      expect(calls.indexOf(helm!)).toBeGreaterThan(calls.indexOf('kind create cluster --name pca-agent --wait 120s'));
      expect(out.split('\n').filter((l) => l.startsWith('==> ')).length).toBeGreaterThanOrEqual(5);
      expect(out).toContain('skaffold dev --profile kind');
      expect(calls.some((c) => c.includes('envoyproxy') || c.includes('gateway'))).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  it('--gateway also installs the pinned Envoy Gateway chart, creates a GatewayClass and a Gateway, waits, and shows curl through it', () => {
    const s = sandbox(ALL);
    try {
      const { code, out, calls, stdin } = s.run(up, ['--gateway']);
      expect(code).toBe(0);
      const eg = calls.find((c) => c.startsWith('helm upgrade --install eg '));
      expect(eg).toMatch(
        /^helm upgrade --install eg oci:\/\/docker\.io\/envoyproxy\/gateway-helm --version v\d+\.\d+\.\d+ --namespace envoy-gateway-system --create-namespace --kube-context kind-pca-agent --wait/,
      );
      expect(calls.indexOf(eg!)).toBeGreaterThan(calls.findIndex((c) => c.startsWith('helm upgrade --install keda')));
      expect(calls).toContain('kubectl --context kind-pca-agent --namespace envoy-gateway-system wait --for=condition=Available deployment/envoy-gateway --timeout=300s');
      const apply = calls.indexOf('kubectl --context kind-pca-agent apply -f -');
      const programmed = calls.indexOf('kubectl --context kind-pca-agent --namespace envoy-gateway-system wait --for=condition=Programmed gateway/pca-gateway --timeout=300s');
      expect(apply).toBeGreaterThan(calls.indexOf(eg!));
      expect(programmed).toBeGreaterThan(apply);

      const docs = parseAllDocuments(stdin).map((d) => d.toJS());
      expect(docs.map((d) => d.kind)).toEqual(['EnvoyProxy', 'GatewayClass', 'Gateway']);
      const [proxy, klass, gateway] = docs;
      // Valid against the Gateway API schema (no unknown fields either), and wired together by name.
      expect(validateObjects([klass, gateway])).toEqual([
        { kind: 'GatewayClass', name: 'pca-agent', errors: [] },
        { kind: 'Gateway', name: 'pca-gateway', errors: [] },
      ]);
      expect([...crdUnknownFields(klass), ...crdUnknownFields(gateway)]).toEqual([]);
      expect(klass.spec.controllerName).toBe('gateway.envoyproxy.io/gatewayclass-controller');
      expect(klass.spec.parametersRef).toEqual({ group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: proxy.metadata.name, namespace: proxy.metadata.namespace });
      expect(gateway.spec.gatewayClassName).toBe(klass.metadata.name);
      expect(gateway.metadata).toEqual({ name: 'pca-gateway', namespace: 'envoy-gateway-system' });
      expect(gateway.spec.listeners).toEqual([{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } }]);
      // kind has no load balancer: a ClusterIP Service with the name the port-forward below uses.
      expect(proxy.spec.provider.kubernetes.envoyService).toEqual({ type: 'ClusterIP', name: 'pca-gateway' });

      expect(out).toContain('skaffold dev --profile kind,gateway');
      expect(out).toContain('kubectl --context kind-pca-agent -n envoy-gateway-system port-forward service/pca-gateway 8080:80');
      expect(out).toContain('curl -H "X-API-Key: $KEY" http://127.0.0.1:8080/api/v1/campaigns');
    } finally {
      s.cleanup();
    }
  }, 60000);

  it("skaffold's gateway profile attaches the chart's HTTPRoute to the Gateway kind-up.sh --gateway creates", () => {
    const script = readFileSync(up, 'utf8');
    const setting = (name: string) => new RegExp(`^${name}="([\\w-]+)"$`, 'm').exec(script)?.[1];
    const skaffold = parse(readFileSync(join(root, 'skaffold.yaml'), 'utf8')) as { profiles: { name: string; patches: { path: string; value: unknown }[] }[] };
    const patches = skaffold.profiles.find((p) => p.name === 'gateway')!.patches;
    const sets = patches.map((p) => ['--set', `${p.path.replace('/deploy/helm/releases/0/setValues/', '')}=${String(p.value)}`]).flat();
    const objects = render([...sets, '--api-versions', 'gateway.networking.k8s.io/v1/HTTPRoute'], 'pca-agent');
    const route = find(objects, 'HTTPRoute', 'pca-agent-api') as any;
    expect(route.spec.parentRefs).toEqual([{ name: setting('GATEWAY_NAME'), namespace: setting('GATEWAY_NAMESPACE'), sectionName: 'http' }]);
    expect((find(objects, 'ConfigMap', 'pca-agent-config') as any).data.TRUST_PROXY_HOPS).toBe('1');
  });

  it('keeps an existing cluster (idempotent) and still makes sure KEDA is installed', () => {
    const s = sandbox(ALL, { STUB_KIND_CLUSTERS: 'other pca-agent' });
    try {
      const { code, out, calls } = s.run(up);
      expect(code).toBe(0);
      expect(calls.some((c) => c.startsWith('kind create'))).toBe(false);
      expect(out).toContain('kind cluster pca-agent already exists: keeping it');
      expect(calls.some((c) => c.startsWith('helm upgrade --install keda'))).toBe(true);
    } finally {
      s.cleanup();
    }
  });

  it.each(['kind', 'kubectl', 'helm', 'docker'])('stops early with a clear message when %s is missing', (missing) => {
    const s = sandbox(ALL.filter((t) => t !== missing));
    try {
      const { code, err, calls } = s.run(up);
      expect(code).toBe(1);
      expect(err).toMatch(new RegExp(`^kind-up: ${missing} is not installed \\(or not on PATH\\): see https://`));
      expect(calls.some((c) => c.startsWith('kind create') || c.startsWith('helm '))).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  it('says when Docker is installed but not running', () => {
    const s = sandbox(ALL, { STUB_DOCKER_DOWN: '1' });
    try {
      const { code, err } = s.run(up);
      expect(code).toBe(1);
      expect(err).toContain('kind-up: docker is installed but its daemon does not answer');
    } finally {
      s.cleanup();
    }
  });

  it('--minikube starts the minikube profile instead and points at the minikube skaffold profile', () => {
    const s = sandbox([...ALL.filter((t) => t !== 'kind'), 'minikube']);
    try {
      const { code, out, calls } = s.run(up, ['--minikube']);
      expect(code).toBe(0);
      expect(calls).toContain('minikube start --profile pca-agent --driver docker --cpus 2 --memory 4096');
      expect(calls).toContain('kubectl config use-context pca-agent');
      expect(out).toContain('skaffold dev --profile minikube');
      expect(out).toContain('scripts/kind-down.sh --minikube removes the cluster');
    } finally {
      s.cleanup();
    }
  });

  it('kind-down.sh deletes the cluster, and is a no-op when there is none', () => {
    const present = sandbox(['kind'], { STUB_KIND_CLUSTERS: 'pca-agent' });
    const absent = sandbox(['kind']);
    try {
      const a = present.run(down);
      expect(a.code).toBe(0);
      expect(a.calls).toContain('kind delete cluster --name pca-agent');
      const b = absent.run(down);
      expect(b.code).toBe(0);
      expect(b.calls.some((c) => c.startsWith('kind delete'))).toBe(false);
      expect(b.out).toContain('No kind cluster named pca-agent: nothing to delete');
    } finally {
      present.cleanup();
      absent.cleanup();
    }
  });

  it('kind-down.sh --minikube deletes the minikube profile', () => {
    const s = sandbox(['minikube'], { STUB_MINIKUBE_PROFILE: 'pca-agent' });
    try {
      const { code, calls } = s.run(down, ['--minikube']);
      expect(code).toBe(0);
      expect(calls).toContain('minikube delete --profile pca-agent');
    } finally {
      s.cleanup();
    }
  });

  it('passes bash -n, and shellcheck where it is installed', () => {
    for (const script of [up, down]) expect(spawnSync('bash', ['-n', script]).status).toBe(0);
    const shellcheck = spawnSync('shellcheck', ['--version']);
    if (shellcheck.status === 0) {
      const r = spawnSync('shellcheck', [up, down], { encoding: 'utf8' });
      expect(r.stdout).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
