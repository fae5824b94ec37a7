import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    docker: 'if [ "$1" = info ] && [ -n "$STUB_DOCKER_DOWN" ]; then exit 1; fi',
    kind: 'if [ "$1 $2" = "get clusters" ]; then printf "%s\\n" $STUB_KIND_CLUSTERS; fi',
    minikube: 'if [ "$1" = status ] && [ -z "$STUB_MINIKUBE_RUNNING" ]; then exit 7; fi\nif [ "$1 $2" = "profile list" ]; then echo "{\\"valid\\":[{\\"Name\\":\\"$STUB_MINIKUBE_PROFILE\\"}]}"; fi',
  };
  for (const t of tools) stub(t, bodies[t]);
  const run = (script: string, args: string[] = []) => {
    const r = spawnSync(join(bin, 'bash'), [script, ...args], { env: { PATH: bin, HOME: dir, ...env }, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr, calls: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
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
    } finally {
      s.cleanup();
    }
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
