import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../services/src/config/env';
import { withNodeFlags } from '../services/src/config/node-flags';

// `npm start`: API, worker and dashboard on one machine against Redis, with the sample data loaded.
const root = join(__dirname, '..', '..');
const main = join(root, 'dist', 'services', 'src', 'main.js');
const preload = join(root, 'dist', 'services', 'src', 'telemetry', 'instrumentation.js');

function say(line: string): void {
  process.stdout.write(`[pca-agent] ${line}\n`);
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a private redis-server with its data under .data/redis, or explains how to get one. */
async function privateRedis(): Promise<{ url: string; process: ChildProcess }> {
  if (spawnSync('redis-server', ['--version']).error) {
    say('Redis is not reachable and no `redis-server` is on PATH.');
    say('Install one (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL to a running Redis.');
    process.exit(1);
  }
  const port = await freePort();
  const dir = join(root, '.data', 'redis');
  mkdirSync(dir, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], {
    stdio: 'ignore',
    detached: true,
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) {
      say(`no Redis at the configured REDIS_URL: started a private redis-server on ${url} (data in .data/redis)`);
      return { url, process: child };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  say(`could not start redis-server on port ${port}`);
  process.exit(1);
}

async function run(): Promise<void> {
  const cfg = loadConfig();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    API_KEYS: process.env.API_KEYS ?? 'dev-key',
    DASHBOARD_USERNAME: process.env.DASHBOARD_USERNAME ?? 'admin',
    DASHBOARD_PASSWORD: process.env.DASHBOARD_PASSWORD ?? 'admin',
    // Locally the worker owns the schedules; in the cluster the CronJobs do.
    SCHEDULER_ENABLED: 'true',
    // No load balancer to drain locally: stop at once on Ctrl-C.
    SHUTDOWN_DELAY_MS: process.env.SHUTDOWN_DELAY_MS ?? '0',
    // No collector on a laptop unless one is configured.
    OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'false' : 'true'),
  };

  let redisProcess: ChildProcess | undefined;
  if (!(await redisAnswers(cfg.REDIS_URL))) {
    const local = await privateRedis();
    env.REDIS_URL = local.url;
    redisProcess = local.process;
  }

  const seed = spawnSync(process.execPath, [main, 'seed', '--if-empty'], { env, stdio: 'inherit' });
  if (seed.status !== 0) say('seeding failed; continuing with the data already stored');

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const child of children.values()) child.kill('SIGTERM');
    const done = () => {
      if ([...children.values()].every((c) => c.exitCode !== null || c.signalCode !== null)) {
        redisProcess?.kill('SIGTERM');
        process.exit(code);
      }
    };
    for (const child of children.values()) child.once('exit', done);
    done();
    setTimeout(() => process.exit(code), 30_000).unref();
  };

  for (const role of ['api', 'worker', 'dashboard']) {
    // Own process group: Ctrl-C reaches only this script, which sends each role exactly one SIGTERM
    // (a second signal would force the roles to exit without draining).
    // The worker gets the heap flags the chart ships (a NODE_OPTIONS of your own overrides them flag by flag).
    const roleEnv = role === 'worker' ? { ...env, NODE_OPTIONS: withNodeFlags(env.NODE_OPTIONS) } : env;
    const child = spawn(process.execPath, ['--require', preload, main, role], { env: roleEnv, stdio: 'inherit', detached: true });
    children.set(role, child);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        say(`${role} exited (${signal ?? code}); stopping the others`);
        stop(1);
      }
    });
  }
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  process.on('exit', () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    redisProcess?.kill('SIGTERM');
  });

  const apiPort = env.PORT ?? String(cfg.PORT);
  const dashPort = env.DASHBOARD_PORT ?? String(cfg.DASHBOARD_PORT);
  say(`API         http://localhost:${apiPort}  (X-API-Key: ${env.API_KEYS!.split(',')[0]})`);
  say(`API docs    http://localhost:${apiPort}/api/docs`);
  say(`Dashboard   http://localhost:${dashPort}${cfg.DASHBOARD_BASE_PATH === '/' ? '' : cfg.DASHBOARD_BASE_PATH}  (user ${env.DASHBOARD_USERNAME}, password ${env.DASHBOARD_PASSWORD})`);
  say(`Worker      http://localhost:${env.WORKER_HTTP_PORT ?? cfg.WORKER_HTTP_PORT}/metrics`);
  say('Ctrl-C stops everything.');
}

run().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
