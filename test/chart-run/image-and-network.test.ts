import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerArgv, localArgv, readImageConfig, ROOT } from './harness/image';
import { Network } from './harness/network';
import { chartScenarios, renderRelease } from './harness/release';

describe('the image as Kubernetes sees it (read from the Dockerfile)', () => {
  const image = readImageConfig();

  test('WORKDIR, ENTRYPOINT, CMD and the paths COPY puts in the runtime stage', () => {
    expect(image.workdir).toBe('/app');
    expect(image.entrypoint.at(-1)).toBe('dist/services/src/main.js');
    expect(image.cmd).toEqual(['api']);
    expect(image.copied).toEqual(expect.arrayContaining(['/app/node_modules', '/app/dist/services', '/app/package.json']));
    expect(image.env.NODE_ENV).toBe('production');
  });

  test('command replaces ENTRYPOINT and drops CMD; args replaces CMD', () => {
    expect(containerArgv(image, {})).toEqual([...image.entrypoint, 'api']);
    expect(containerArgv(image, { args: ['worker'] })).toEqual([...image.entrypoint, 'worker']);
    expect(containerArgv(image, { command: ['node', 'x.js'] })).toEqual(['node', 'x.js']);
    expect(containerArgv(image, { command: ['node'], args: ['y.js'] })).toEqual(['node', 'y.js']);
  });

  test('paths under WORKDIR must be in the image and in the build; absolute ones map to the repo root', () => {
    expect(localArgv(image, ['node', '/app/dist/services/src/main.js', 'api'], 'w').argv).toEqual(['node', join(ROOT, 'dist/services/src/main.js'), 'api']);
    expect(() => localArgv(image, ['node', 'dist/scripts/synth.js'], 'w')).toThrow(/dist\/scripts\/synth.js" is \/app\/dist\/scripts\/synth.js in the image, which the Dockerfile does not COPY/);
    expect(() => localArgv(image, ['node', 'dist/services/src/nope.js'], 'w')).toThrow(/the build has no .*dist\/services\/src\/nope.js/);
    expect(localArgv(image, ['redis-cli', '-p', '6379', 'ping', '--config=/conf/x.yaml'], 'w').argv).toEqual(['redis-cli', '-p', '6379', 'ping', '--config=/conf/x.yaml']);
  });

  test('a CMD set in the stage survives a later ENTRYPOINT; shell forms are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chart-run-dockerfile-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), 'FROM node:24\nWORKDIR /srv\nWORKDIR app\nCMD ["a"]\nENTRYPOINT ["node"]\nCOPY x y ./\n');
      expect(readImageConfig(join(dir, 'Dockerfile'))).toMatchObject({ workdir: '/srv/app', entrypoint: ['node'], cmd: ['a'], copied: ['/srv/app/x', '/srv/app/y'] });
      writeFileSync(join(dir, 'Dockerfile'), 'FROM node:24\nENTRYPOINT node main.js\n');
      expect(() => readImageConfig(join(dir, 'Dockerfile'))).toThrow(/shell form/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Service names and loopback addresses become local ports', () => {
  let net: Network;
  beforeAll(async () => {
    const release = renderRelease(chartScenarios()[0]!);
    net = await Network.create(release, release.workloads());
  });

  test('every DNS form of a Service resolves from the release namespace; only qualified ones from another', async () => {
    const redis = net.route('rel-pca-agent-redis', 6379, 't').hostPort;
    for (const host of ['rel-pca-agent-redis', 'rel-pca-agent-redis.pca', 'rel-pca-agent-redis.pca.svc', 'rel-pca-agent-redis.pca.svc.cluster.local']) {
      expect(await net.rewriteAddresses(`redis://:pw@${host}:6379/0`, 't', { namespace: 'pca' })).toBe(`redis://:pw@127.0.0.1:${redis}/0`);
    }
    expect(await net.rewriteAddresses('rel-pca-agent-redis.pca.svc:6379', 't', { namespace: 'keda' })).toBe(`127.0.0.1:${redis}`);
    await expect(net.rewriteAddresses('rel-pca-agent-redis:6379', 't', { namespace: 'keda' })).rejects.toThrow(/short name does not resolve from namespace keda/);
  });

  test('a scheme supplies the default port; a bare name equal to no address is left alone', async () => {
    await expect(net.rewriteAddresses('http://rel-pca-agent-api/x', 't', { namespace: 'pca' })).rejects.toThrow(/Service rel-pca-agent-api has no port 80 \(ports: http=8000\)/);
    expect(await net.rewriteAddresses('pca-agent-api', 't', { namespace: 'pca' })).toBe('pca-agent-api');
  });

  test('localhost is the pod itself: its own port table, never the machine', async () => {
    const api = net.pod(renderRelease(chartScenarios()[0]!).workloads().find((w) => w.ref === 'Deployment/rel-pca-agent-api')!);
    const own = await api.hostPort(8000);
    expect(await net.rewriteAddresses('http://localhost:8000/ready', 't', { namespace: 'pca', pod: api })).toBe(`http://127.0.0.1:${own}/ready`);
    expect(await net.rewriteAddresses('http://127.0.0.1:6379', 't', { namespace: 'pca', pod: api })).not.toContain(':6379');
  });
});

describe('Gateway API path rewriting, as the route forwards it', () => {
  const { rewritePath } = require('./harness/routes') as typeof import('./harness/routes');
  test.each([
    ['/api/v1/campaigns', '/', [], '/api/v1/campaigns'],
    ['/pca/api/v1/campaigns', '/pca', [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }], '/api/v1/campaigns'],
    ['/pca/api/v1/campaigns', '/pca/', [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } }], '/v2/api/v1/campaigns'],
    ['/pca/api/v1/campaigns', '/pca', [], '/pca/api/v1/campaigns'],
  ])('%s matched by %s', (path, prefix, filters, expected) => {
    expect(rewritePath(path, prefix, filters)).toBe(expected);
  });
});
