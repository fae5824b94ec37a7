import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const ROOT = join(__dirname, '..', '..');
const MAIN = 'dist/services/src/main.js';
const PRELOAD = './dist/services/src/telemetry/instrumentation.js';

export type Role = 'api' | 'worker' | 'dashboard' | 'task' | 'seed' | 'restore';

/** A TCP port nothing listens on right now (the OS picks it; closed again before returning). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

type Check<T> = () => Promise<T | undefined | null | false> | T | undefined | null | false;

/**
 * Polls `check` until it returns a value other than undefined, null or false, and returns that value;
 * throws (naming `what` when given) after the timeout. Errors thrown by `check` count as "not yet".
 */
export async function waitFor<T>(check: Check<T>, timeoutMs?: number, everyMs?: number): Promise<T>;
export async function waitFor<T>(what: string, check: Check<T>, timeoutMs?: number, everyMs?: number): Promise<T>;
export async function waitFor<T>(a: string | Check<T>, b?: Check<T> | number, c?: number, d?: number): Promise<T> {
  const [what, check, timeoutMs = 10_000, everyMs = 50] =
    typeof a === 'string' ? [a, b as Check<T>, c, d] : ['a condition', a, b as number | undefined, c];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve().then(check).catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** GET with a timeout; resolves to the status (0 when the connection failed or timed out). */
export async function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Waits for a child to exit and returns its exit code (or the signal name); SIGKILLs it past the timeout. */
export async function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode;
  if (child.signalCode !== null) return child.signalCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return code ?? signal ?? -1;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * One role of `main.js` started exactly as the container image starts it (telemetry preload included),
 * with a clean environment; stdout and stderr are captured for assertions.
 */
export class RoleProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private out = '';
  private err = '';

  constructor(
    readonly role: Role,
    env: Record<string, string>,
    args: readonly string[] = [],
  ) {
    this.child = spawn(process.execPath, ['--require', PRELOAD, MAIN, role, ...args], {
      cwd: ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** stdout parsed as pino JSON lines (non-JSON lines skipped). */
  logLines(): Record<string, unknown>[] {
    const lines: Record<string, unknown>[] = [];
    for (const line of this.out.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut by a kill
      }
    }
    return lines;
  }

  /** Waits for `url` to answer 200; fails early (with the logs) if the process exits first. */
  async waitReady(url: string, timeoutMs = 20_000): Promise<void> {
    const outcome = await waitFor(`${this.role} ready at ${url}`, async () => (!this.running ? 'exited' : (await httpStatus(url, 1000)) === 200 && 'ready'), timeoutMs, 100).catch(
      (e: Error) => e.message,
    );
    if (outcome !== 'ready') {
      throw new Error(`${this.role}: ${outcome}\n--- stdout ---\n${this.out.slice(-4000)}\n--- stderr ---\n${this.err.slice(-4000)}`);
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGKILL if still running, then wait for the exit. Safe to call twice. */
  async stop(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    OTEL_SDK_DISABLED: 'true',
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
    SHUTDOWN_DELAY_MS: '0',
    STATS_FLUSH_INTERVAL_MS: '200',
    ...env,
  };
}

/** A serving role (api, worker) on a free port. */
export interface RoleHandle {
  readonly proc: RoleProcess;
  readonly port: number;
  readonly url: string;
}
export type ApiHandle = RoleHandle;
export type WorkerHandle = RoleHandle;

async function startServing(role: Role, portVariable: string, env: Record<string, string>): Promise<RoleHandle> {
  const port = await freePort();
  const proc = new RoleProcess(role, { [portVariable]: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await proc.waitReady(`${url}/ready`);
  return { proc, port, url };
}

/** An API process on a free port, ready (Redis reachable) before it is returned. */
export const startApiProcess = (env: Record<string, string>): Promise<ApiHandle> => startServing('api', 'PORT', env);

/** A worker process with its probe server on a free port, ready before it is returned. */
export const startWorkerProcess = (env: Record<string, string>): Promise<WorkerHandle> => startServing('worker', 'WORKER_HTTP_PORT', env);

/**
 * A private redis-server on its own port with its data (AOF, fsync on every write) in a temp dir, so
 * a test can crash it and start it again on the same port and data. `close()` kills it and removes the dir.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly aof: boolean,
    readonly password: string | undefined,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'pca-redis-'));
  }

  /** `port`: a given free port instead of one picked here; `password`: `--requirepass`. */
  static async start(opts: { aof?: boolean; port?: number; password?: string } = {}): Promise<RedisServer> {
    const r = new RedisServer(opts.port ?? (await freePort()), opts.aof ?? true, opts.password);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://${this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const persistence = this.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const auth = this.password === undefined ? [] : ['--requirepass', this.password];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...persistence, ...auth], {
      stdio: 'ignore',
    });
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await waitFor(`redis-server on ${this.port}`, async () => {
        if (!this.running) throw new Error(`redis-server on ${this.port} exited`);
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        // LOADING while the AOF is replayed: wait for a real PONG
        return (await probe.ping()) === 'PONG';
      });
    } finally {
      probe.disconnect();
    }
  }

  /** Stops the server (SIGKILL by default: a crash; with `appendfsync always` nothing acknowledged is lost). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exit = once(child, 'exit');
    child.kill(signal);
    await exit;
  }

  /** A plain client for assertions (caller quits it). */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Number of keys under `<prefix>:` (SCAN, never KEYS). */
export async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}
