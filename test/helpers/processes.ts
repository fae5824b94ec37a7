import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { ASYNC_STDOUT_FLUSH_MS } from '../../services/src/lib/logger';
import { ChildRun, freePort } from './child-process';
import { httpStatus } from './http';
import { waitFor } from './wait';

// Tests take the helpers they use with processes from one import.
export { ROOT, freePort, type ExitInfo } from './child-process';
export { httpStatus } from './http';
export { RedisServer } from './redis-topologies';
export { sleep, waitFor } from './wait';

const MAIN = 'dist/services/src/main.js';
const PRELOAD = './dist/services/src/telemetry/instrumentation.js';

export type Role = 'api' | 'worker' | 'dashboard' | 'task' | 'seed' | 'restore';

/** Waits for a child to exit and returns its exit code (or the signal name); SIGKILLs it past the timeout. */
export async function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode;
  if (child.signalCode !== null) return child.signalCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return code ?? signal ?? -1;
}

/**
 * One role of `main.js` started exactly as the container image starts it (telemetry preload included),
 * with a clean environment; stdout and stderr are captured for assertions.
 */
export class RoleProcess extends ChildRun {
  constructor(
    readonly role: Role,
    env: Record<string, string>,
    args: readonly string[] = [],
  ) {
    super(role, [process.execPath, '--require', PRELOAD, MAIN, role, ...args], { env: cleanEnv(env) });
  }

  override get pid(): number {
    return this.child.pid!;
  }

  /** stdout parsed as pino JSON lines (lines that are not JSON skipped). */
  logLines(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.raw !== true);
  }

  /**
   * Waits until the lines logged so far have been written: the API batches its stdout and writes at
   * least every ASYNC_STDOUT_FLUSH_MS. Call before reading the logs of a process that is still running.
   */
  async logsWritten(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 3 * ASYNC_STDOUT_FLUSH_MS));
  }

  /** Waits for `url` to answer 200; fails early (with the logs) if the process exits first. */
  async waitReady(url: string, timeoutMs = 20_000): Promise<void> {
    const outcome = await waitFor(`${this.role} ready at ${url}`, async () => (!this.running ? 'exited' : (await httpStatus(url, 1000)) === 200 && 'ready'), timeoutMs, 100).catch(
      (e: Error) => e.message,
    );
    if (outcome !== 'ready') throw new Error(`${this.role}: ${outcome}\n${this.logs(4000)}`);
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

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}
