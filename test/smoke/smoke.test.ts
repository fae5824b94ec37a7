import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startApiProcess, startWorkerProcess, type RoleHandle } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const MAIN = join(__dirname, '..', '..', 'dist', 'services', 'src', 'main.js');

/** Runs `main.js smoke` as the helm test Pod does; resolves with its exit code and output. */
function smoke(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'smoke', ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OTEL_SDK_DISABLED: 'true', ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('main.js smoke (the helm test command) against real API and worker processes', () => {
  const prefix = testPrefix('smoke');
  const redis = new Redis(REDIS_URL);
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS: 'smoke-key' };
  let api: RoleHandle;
  let worker: RoleHandle | undefined;

  beforeAll(async () => {
    api = await startApiProcess(env);
  }, 60_000);

  afterAll(async () => {
    await api?.proc.stop();
    await worker?.proc.stop();
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  it('fails with exit 1 and says which step when no worker completes the job in time', async () => {
    const result = await smoke(['--timeout', '3'], { ...env, PCA_API_URL: api.url });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/smoke failed while waiting for task .+ still (waiting|active)/);
  }, 30_000);

  it('passes (exit 0) once a worker is running: API ready, report submitted and completed', async () => {
    worker = await startWorkerProcess(env);
    const result = await smoke(['--timeout', '60'], { ...env, PCA_API_URL: api.url });
    expect(result.out).toMatch(/^smoke: API ready, task \S+ completed by a worker, its report \(\d+ bytes\) downloaded$/m);
    expect(result.code).toBe(0);
  }, 90_000);

  it('fails with exit 1 when the API does not answer, and 2 on a usage error or a missing key', async () => {
    const deadPort = await freePort();
    const dead = await smoke(['--timeout', '2'], { ...env, PCA_API_URL: `http://127.0.0.1:${deadPort}` });
    expect(dead.code).toBe(1);
    expect(dead.out).toMatch(/waiting for \/ready/);
    expect((await smoke(['--bogus'], env)).code).toBe(2);
    expect((await smoke([], { REDIS_URL, PCA_API_URL: api.url })).code).toBe(2);
  }, 30_000);
});
