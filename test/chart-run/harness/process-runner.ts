import { spawn, type ChildProcess } from 'node:child_process';
import type { ExitInfo } from '../../helpers/processes';

const KEEP = 64 * 1024;

/** The process of one container: exactly the given argv, cwd and environment, nothing inherited. */
export class ContainerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private out = '';
  private err = '';

  constructor(
    /** `Deployment/x container "api"` */
    readonly where: string,
    readonly argv: readonly string[],
    readonly cwd: string,
    readonly env: Readonly<Record<string, string>>,
  ) {
    // the command is looked up on the container's PATH, as the runtime does
    this.child = spawn(argv[0]!, argv.slice(1), { cwd, env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (s: string) => (s.length > KEEP ? s.slice(-KEEP) : s);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out = keep(this.out + d)));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = keep(this.err + d)));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.err += `\nspawn ${argv[0]}: ${e.message}`;
        resolve({ code: 127, signal: null });
      });
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** The tail of both streams, for failure messages. */
  logs(chars = 3000): string {
    return `--- stdout (${this.where}) ---\n${this.out.slice(-chars)}\n--- stderr ---\n${this.err.slice(-chars)}`;
  }

  /** Waits for the exit; SIGKILL after `timeoutMs` (the exit then reports the signal). */
  async waitExit(timeoutMs: number): Promise<ExitInfo & { timedOut: boolean }> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    try {
      return { ...(await this.exited), timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL if still running, then wait for the exit. Safe to call twice. */
  async stop(): Promise<ExitInfo> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }
}
