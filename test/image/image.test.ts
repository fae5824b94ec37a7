import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, resolve } from 'node:path';
import { isJobName, SCHEDULED_JOBS } from '../../services/src/queues/contract';
import { renderChart } from '../ctl/release-objects';
import type { K8sObject } from '../helpers/fake-kube-api';
import { dockerignored, dockerignorePatterns, execForm, parseDockerfile, type Stage } from './dockerfile';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const { stages } = parseDockerfile(join(root, 'Dockerfile'));
const runtime = stages.at(-1) as Stage;
const one = (stage: Stage, cmd: string) => stage.instructions.filter((i) => i.cmd === cmd);
const workdir = one(runtime, 'WORKDIR').at(-1)?.rest ?? '/';
const entrypoint = execForm(one(runtime, 'ENTRYPOINT').at(-1)?.rest ?? '') ?? [];
const cmd = execForm(one(runtime, 'CMD').at(-1)?.rest ?? '') ?? [];
const ignore = dockerignorePatterns(join(root, '.dockerignore'));
const distServices = join(root, 'dist', 'services');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Containers of the app image in every object of a rendered chart (Deployments, CronJobs, the helm test pod). */
function appContainers(objects: K8sObject[], repository: string) {
  const found: Array<{ owner: string; container: { image: string; command?: string[]; args?: string[]; securityContext?: Record<string, unknown> }; podSecurity: Record<string, unknown> }> = [];
  for (const o of objects) {
    const podSpec = (o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? (o.spec as any)?.jobTemplate?.spec?.template?.spec : (o.spec as any)?.template?.spec) as
      | { containers?: any[]; initContainers?: any[]; securityContext?: Record<string, unknown> }
      | undefined;
    for (const c of [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])]) {
      if (String(c.image).startsWith(`${repository}:`)) found.push({ owner: `${o.kind}/${o.metadata?.name}`, container: c, podSecurity: podSpec?.securityContext ?? {} });
    }
  }
  return found;
}

describe('container image (Dockerfile checked without a Docker engine)', () => {
  beforeAll(() => {
    if (!existsSync(join(distServices, 'src', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
  });

  it('pins Node 24 by an exact slim tag in every stage, the major of package.json engines and .nvmrc', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const major = /(\d+)/.exec(pkg.engines.node)?.[1];
    expect(readFileSync(join(root, '.nvmrc'), 'utf8').trim()).toBe(major);
    for (const s of stages) expect(s.from).toMatch(new RegExp(`^node:${major}\\.\\d+\\.\\d+-(bookworm|trixie)-slim$`));
  });

  it('installs from the lockfile, builds with tsc, and ships production dependencies only', () => {
    const runs = (s: Stage) => one(s, 'RUN').map((r) => r.rest);
    const build = stages.find((s) => runs(s).some((r) => r.includes('npm run build')));
    expect(build && runs(build).some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit'))).toBe(true);
    const prod = stages.find((s) => runs(s).some((r) => /\bnpm ci\b.*--omit=dev/.test(r)));
    expect(prod).toBeDefined();
    const copies = one(runtime, 'COPY').filter((c) => c.flags.from);
    expect(copies.map((c) => [c.flags.from, c.rest])).toEqual(
      expect.arrayContaining([
        [prod!.name, '/app/node_modules ./node_modules'],
        [build!.name, '/app/dist/services ./dist/services'],
      ]),
    );
    expect(one(runtime, 'ENV').map((e) => e.rest)).toContain('NODE_ENV=production');
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    const fromContext = stages.flatMap((s) => one(s, 'COPY').filter((c) => !c.flags.from));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext) {
      const sources = copy.rest.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect([src, existsSync(join(root, src))]).toEqual([src, true]);
        const files = statSync(join(root, src)).isDirectory() ? walk(join(root, src)).map((f) => relative(root, f).split('\\').join('/')) : [src];
        expect(files.filter((f) => dockerignored(ignore, f))).toEqual([]);
      }
    }
  });

  it('keeps tests, charts, .git, node_modules, dist, .tools and .data out of the build context', () => {
    for (const path of ['test', 'test/ctl/objects.ts', 'charts', 'charts/pca-agent/values.yaml', '.git', '.git/HEAD', 'node_modules', 'node_modules/bullmq/package.json', 'services/node_modules/x', 'dist', 'dist/services/src/main.js', '.tools', '.tools/bin/helm', '.data', '.data/reports/x.pdf']) {
      expect([path, dockerignored(ignore, path)]).toEqual([path, true]);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'services/src/main.ts']) expect([path, dockerignored(ignore, path)]).toEqual([path, false]);
  });

  it('runs the telemetry preload and main.js in exec form, paths that exist after the build and that the runtime copies', () => {
    expect(workdir).toBe('/app');
    expect(entrypoint).toEqual(['node', '--require', './dist/services/src/telemetry/instrumentation.js', 'dist/services/src/main.js']);
    expect(cmd).toEqual(['api']);
    const copied = one(runtime, 'COPY').map((c) => posix.join(workdir, c.rest.split(/\s+/).at(-1) as string));
    for (const path of [entrypoint[2] as string, entrypoint[3] as string]) {
      const inImage = posix.join(workdir, path);
      expect(copied.some((dest) => inImage.startsWith(`${dest}/`))).toBe(true);
      expect([path, existsSync(join(root, path))]).toEqual([path, true]);
    }
  });

  it('runs as a fixed numeric non-root user', () => {
    expect(one(runtime, 'USER').at(-1)?.rest).toBe('10001:10001');
  });

  it('needs nothing from devDependencies at run time: every require in dist/services is a builtin, a dependency, or a file inside dist/services', () => {
    const problems: string[] = [];
    const files = walk(distServices).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1] as string;
        if (spec.startsWith('.')) {
          const target = resolve(file, '..', spec);
          if (!target.startsWith(distServices)) problems.push(`${relative(root, file)} requires ${spec}, outside dist/services (not in the image)`);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (spec.startsWith('node:') || builtinModules.includes(name)) continue;
        if (!pkg.dependencies[name]) problems.push(`${relative(root, file)} requires ${name}, which is ${pkg.devDependencies[name] ? 'a devDependency' : 'not a dependency'}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the rendered chart runs exactly what the image provides', () => {
  const objects = renderChart('pca-agent', 'pca', ['--set', 'image.registry=', '--set', 'image.repository=pca-agent', '--set', 'image.tag=dev'], { tests: true });
  const roles = new Map(
    [...readFileSync(join(root, 'services', 'src', 'main.ts'), 'utf8').matchAll(/case '(\w+)':\s*return load<[^>]*>\('([^']+)'\)/g)].map((m) => [m[1] as string, m[2] as string]),
  );

  it('finds the API, worker, dashboard, every CronJob and the helm test pod using the app image', () => {
    const owners = appContainers(objects, 'pca-agent').map((c) => c.owner);
    expect(owners).toEqual(expect.arrayContaining(['Deployment/pca-agent-api', 'Deployment/pca-agent-worker', 'Deployment/pca-agent-dashboard']));
    expect(owners.some((o) => o.startsWith('Pod/'))).toBe(true);
    expect(owners.filter((o) => o.startsWith('CronJob/'))).toHaveLength(Object.keys(SCHEDULED_JOBS).length);
  });

  it('every app container runs the image entry point with a role main.js dispatches, whose module is built', () => {
    expect([...roles.keys()]).toEqual(expect.arrayContaining(['api', 'worker', 'dashboard', 'task', 'seed']));
    for (const { owner, container } of appContainers(objects, 'pca-agent')) {
      const argv = container.command ? [...container.command, ...(container.args ?? [])] : [...entrypoint, ...(container.args ?? cmd)];
      expect([owner, argv.slice(0, entrypoint.length)]).toEqual([owner, entrypoint]);
      const [role, job] = argv.slice(entrypoint.length);
      expect([owner, roles.has(role as string)]).toEqual([owner, true]);
      expect([owner, existsSync(join(distServices, 'src', `${roles.get(role as string)}.js`))]).toEqual([owner, true]);
      if (role === 'task') expect([owner, isJobName(job as string)]).toEqual([owner, true]);
    }
  });

  it("sets the pods' runAsUser and runAsGroup to the image's UID and GID, non-root", () => {
    const [uid, gid] = (one(runtime, 'USER').at(-1)?.rest ?? '').split(':').map(Number);
    const containers = appContainers(objects, 'pca-agent');
    expect(containers.length).toBeGreaterThan(0);
    for (const { owner, container, podSecurity } of containers) {
      const sc = { ...podSecurity, ...container.securityContext };
      expect([owner, sc.runAsUser, sc.runAsGroup, sc.runAsNonRoot]).toEqual([owner, uid, gid, true]);
    }
  });
});
