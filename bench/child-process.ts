import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { withNodeFlags } from '../services/src/config/node-flags';

/** The repository root, from dist/bench/ at run time. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
/** The telemetry preload every pca-agent start script uses. */
export const INSTRUMENTATION = join(REPO_ROOT, 'dist', 'services', 'src', 'telemetry', 'instrumentation.js');
export const MAIN_JS = join(REPO_ROOT, 'dist', 'services', 'src', 'main.js');
/** A compiled helper under dist/bench/children. */
export const childScript = (name: string) => join(__dirname, 'children', `${name}.js`);

export type ChildMessage = { readonly kind: string } & Record<string, unknown>;

export interface ChildOptions {
  /** Shown in errors and progress lines. */
  readonly name: string;
  /** Arguments after `node`: the script and its arguments. */
  readonly args: readonly string[];
  /** Added to (and overriding) the bench's own environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Load the telemetry preload first, as the production start scripts do. @default false */
  readonly telemetry?: boolean;
  /**
   * Node/V8 flags merged into the child's NODE_OPTIONS, as the chart and start scripts set them (a flag
   * NODE_OPTIONS already has wins). @default none
   */
  readonly nodeFlags?: readonly string[];
}

const STDERR_TAIL_LINES = 30;
const running = new Set<BenchChild>();

interface Waiter {
  readonly match: (m: ChildMessage) => boolean;
  readonly resolve: (m: ChildMessage) => void;
  readonly reject: (e: Error) => void;
}

/**
 * A process the bench starts: stdout discarded (the services log a line per request or job, as in
 * production), the last lines of stderr kept for error messages, messages over an IPC channel.
 */
export class BenchChild {
  readonly proc: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly stderrTail: string[] = [];
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly opts: ChildOptions) {
    const args = [...(opts.telemetry ? ['--require', INSTRUMENTATION] : []), ...opts.args];
    const env = { ...process.env, ...opts.env };
    if (opts.nodeFlags) env.NODE_OPTIONS = withNodeFlags(env.NODE_OPTIONS, opts.nodeFlags);
    this.proc = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    running.add(this);
    // A send racing the child's exit fails with EPIPE; the exit itself is what gets reported.
    this.proc.on('error', (err) => this.stderrTail.push(`(bench) ${err.message}`));
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.stderrTail.push(line);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
    });
    this.proc.on('message', (m: ChildMessage) => {
      for (const w of this.waiters) {
        if (w.match(m)) {
          this.waiters.delete(w);
          w.resolve(m);
          return;
        }
      }
      this.inbox.push(m);
    });
    this.exited = new Promise((resolveExit) => {
      this.proc.once('exit', (code, signal) => {
        running.delete(this);
        this.exitInfo = `${opts.name} exited (code ${code ?? '-'}, signal ${signal ?? '-'})`;
        const err = new Error(`${this.exitInfo}${this.stderr() ? `; stderr:\n${this.stderr()}` : ''}`);
        for (const w of this.waiters) w.reject(err);
        this.waiters.clear();
        resolveExit();
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  stderr(): string {
    return this.stderrTail.join('\n');
  }

  send(message: ChildMessage): void {
    if (this.proc.connected) this.proc.send(message, (err) => err && this.stderrTail.push(`(bench) send failed: ${err.message}`));
  }

  /** The first message (already received or still to come) that matches, or an error on timeout or exit. */
  waitFor(match: (m: ChildMessage) => boolean, timeoutMs: number, what = 'a message'): Promise<ChildMessage> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    if (this.exitInfo) return Promise.reject(new Error(`${this.exitInfo} before ${what}; stderr:\n${this.stderr()}`));
    return new Promise((resolveMsg, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.opts.name}: no ${what} within ${timeoutMs} ms; stderr:\n${this.stderr()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolveMsg(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.add(waiter);
    });
  }

  waitForKind(kind: string, timeoutMs: number): Promise<ChildMessage> {
    return this.waitFor((m) => m.kind === kind, timeoutMs, `"${kind}" message`);
  }

  /** SIGTERM (or a `stop` message for bench helpers), SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitInfo) return;
    if (this.proc.connected && this.opts.args[0] !== MAIN_JS) this.send({ kind: 'stop' });
    else this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Stops every child still running (each on its own, so one failure does not leave the others). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop(3000).catch(() => undefined)));
}

/** Kills what is left without waiting: for an exit handler. */
export function killAllChildrenNow(): void {
  for (const c of running) c.proc.kill('SIGKILL');
}

/** A TCP port free right now on loopback (the server that asked for it closes before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Polls until `url` answers 200; throws with the child's stderr when it exits or the time runs out. */
export async function waitForHttp(url: string, child: BenchChild, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.opts.name} exited while starting; stderr:\n${child.stderr()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.opts.name}: ${url} not ready within ${timeoutMs} ms (${last}); stderr:\n${child.stderr()}`);
}
