import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { USAGE } from '../../services/src/ctl/main';
import { REDIS_IMAGE_TAG } from '../../cdk8s/lib/values';

const root = join(__dirname, '..', '..');
const dir = join(root, '.github', 'workflows');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const chartValues = parse(readFileSync(join(root, 'charts', 'pca-agent', 'values.yaml'), 'utf8')) as Record<string, unknown>;

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Workflow = { on: Record<string, { paths?: string[] } | null>; jobs: Record<string, { steps: Step[]; services?: Record<string, { image: string }> }> };

const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const workflows = Object.fromEntries(files.map((f) => [f, parse(readFileSync(join(dir, f), 'utf8')) as Workflow]));
const steps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((j) => j.steps);
const runs = (wf: Workflow): string => steps(wf).map((s) => s.run ?? '').join('\n');
const isGlob = (p: string) => /[*?[]/.test(p);

describe('GitHub workflows reference only what exists', () => {
  it('has ci.yml and e2e-kind.yml', () => {
    expect(files.sort()).toEqual(expect.arrayContaining(['ci.yml', 'e2e-kind.yml']));
  });

  describe.each(files)('%s', (file) => {
    const wf = workflows[file] as Workflow;

    it('runs only npm scripts that package.json defines', () => {
      const used = [...runs(wf).matchAll(/\bnpm run(?:-script)? ([\w:-]+)/g)].map((m) => m[1] as string);
      if (/\bnpm test\b/.test(runs(wf))) used.push('test');
      expect(used.filter((s) => !pkg.scripts[s])).toEqual([]);
      if (/\bnpm ci\b/.test(runs(wf))) expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
    });

    it('names only repository paths that exist', () => {
      const text = runs(wf).replace(/hashFiles\([^)]*\)/g, '');
      const paths = [...text.matchAll(/(?:^|[\s"'=])\.?\/?((?:scripts|charts|services|test|docs|cdk8s|\.github)\/[\w./-]*[\w-])/g)].map((m) => m[1] as string);
      const files = [...text.matchAll(/(?:--file|-f)\s+([\w./-]+)/g)].map((m) => m[1] as string);
      const versionFiles = steps(wf).map((s) => s.with?.['node-version-file']).filter((v): v is string => typeof v === 'string');
      const filters = Object.values(wf.on ?? {}).flatMap((t) => t?.paths ?? []).map((p) => p.replace(/\/\*\*$/, ''));
      const all = [...paths, ...files, ...versionFiles, ...filters].filter((p) => !isGlob(p));
      expect(all.length).toBeGreaterThan(0);
      expect(all.filter((p) => !existsSync(join(root, p)))).toEqual([]);
    });

    it('pins every action to a version', () => {
      for (const s of steps(wf).filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$/);
    });

    it('uses Node from .nvmrc (24)', () => {
      const nodes = steps(wf).filter((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(nodes.length).toBeGreaterThan(0);
      for (const s of nodes) expect(s.with?.['node-version-file']).toBe('.nvmrc');
      expect(readFileSync(join(root, '.nvmrc'), 'utf8').trim()).toBe('24');
    });

    it('calls the ctl only with commands and options it has', () => {
      for (const m of runs(wf).matchAll(/npm run ctl -- (\w+)([^\n]*)/g)) {
        expect(['status', 'dashboards', 'run', 'wait']).toContain(m[1]);
        for (const flag of (m[2] as string).match(/--[\w-]+/g) ?? []) expect([flag, USAGE.includes(flag)]).toEqual([flag, true]);
      }
    });

    it('sets only chart values that exist', () => {
      const keys = [...runs(wf).matchAll(/--set(?:-string)? ([\w.]+)=/g)].map((m) => m[1] as string);
      const missing = keys.filter((k) => k.split('.').reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), chartValues) === undefined);
      expect(missing).toEqual([]);
    });
  });

  it('ci.yml tests with a Redis service on Node 24: npm ci, then npm test', () => {
    const wf = workflows['ci.yml'] as Workflow;
    const [job] = Object.values(wf.jobs);
    expect(job!.services?.redis?.image).toBe(`redis:${REDIS_IMAGE_TAG}`); // the version the chart ships
    const text = runs(wf);
    expect(text.indexOf('npm ci')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('npm test')).toBeGreaterThan(text.indexOf('npm ci'));
  });

  it.each([
    ['redis-server', 'unit tests start private servers too'],
    ['prometheus', "the unit step's test/monitoring runs its promtool"],
  ])('ci.yml installs %s before the first test step (%s)', (pkg) => {
    const wf = workflows['ci.yml'] as Workflow;
    const [job] = Object.values(wf.jobs);
    const steps = job!.steps.map((st) => st.run ?? '');
    const install = steps.findIndex((r) => new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`).test(r));
    const firstTest = steps.findIndex((r) => /\bnpm (test|run test)/.test(r));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(firstTest).toBeGreaterThan(install);
    // .ci/run installs the same package when it is missing
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`));
  });

  it('release.yml publishes on a v* tag exactly the image values.yaml names (multi-arch) and the chart as an OCI artifact', () => {
    const wf = workflows['release.yml'] as Workflow & { env: Record<string, string> };
    expect(Object.keys(wf.on)).toEqual(['push']);
    expect((wf.on.push as { tags?: string[] }).tags).toEqual(['v*']);
    const values = chartValues as { image: { registry: string; repository: string; tag: string } };
    expect(wf.env.IMAGE).toBe(`${values.image.registry}/${values.image.repository}`);
    // An empty tag means the chart's appVersion, which synth takes from package.json: the version the tag names.
    expect(values.image.tag).toBe('');
    const build = steps(wf).find((st) => st.uses?.startsWith('docker/build-push-action')) as { with: Record<string, unknown> } | undefined;
    expect(build?.with).toMatchObject({ push: true, tags: '${{ env.IMAGE }}:${{ env.VERSION }}' });
    expect(String(build?.with.platforms).split(',').sort()).toEqual(['linux/amd64', 'linux/arm64']);
    const text = runs(wf);
    expect(text).toContain('helm package charts/pca-agent');
    expect(text).toMatch(/helm push "dist-chart\/pca-agent-\$VERSION\.tgz" "\$CHART_REPOSITORY"/);
    expect(wf.env.CHART_REPOSITORY).toMatch(/^oci:\/\//);
    // The tag must match package.json, and the committed chart what cdk8s generates.
    expect(text).toContain('require("./package.json").version');
    expect(text).toContain('git diff --exit-code -- charts/');
  });

  it('e2e-kind.yml goes cluster → image → install → wait → helm test → smoke request → uninstall, in that order', () => {
    const text = runs(workflows['e2e-kind.yml'] as Workflow);
    const order = [
      'scripts/kind-up.sh',
      'docker build',
      'kind load docker-image',
      'helm install',
      'npm run ctl -- wait',
      'helm test',
      'port-forward',
      'curl --fail',
      'helm uninstall',
      'scripts/kind-down.sh',
    ].map((s) => [s, text.indexOf(s)] as const);
    for (const [s, i] of order) expect([s, i >= 0]).toEqual([s, true]);
    const positions = order.map(([, i]) => i);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const script = readFileSync(join(root, 'scripts', 'kind-up.sh'), 'utf8');
    const cluster = /CLUSTER_NAME="\$\{PCA_CLUSTER_NAME:-([\w-]+)\}"/.exec(script)?.[1];
    expect(text).toContain(`--name ${cluster}`);
  });
});
