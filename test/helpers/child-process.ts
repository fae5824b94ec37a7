import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './wait';

export const ROOT = join(__dirname, '..', '..');

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface ChildRunOptions {
  /** @default the repository root */
  readonly cwd?: string;
  /** The whole environment: nothing is inherited that is not in it. */
  readonly env: NodeJS.ProcessEnv;
  /** Keep only the last this many characters of each stream (for long-running processes). @default everything */
  readonly keepChars?: number;
}

/**
 * One child process of a test: exactly `argv`, its stdout and stderr captured for assertions and
 * failure messages. A spawn failure (command not found) is an exit with code 127, as a shell reports it.
 */
export class ChildRun {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private out = '';
  private err = '';
  private parsed = { upTo: 0, lines: [] as LogLine[] };

  constructor(
    /** What the failure messages call it, e.g. `api` or `Deployment/x container "api"`. */
    readonly label: string,
    readonly argv: readonly string[],
    opts: ChildRunOptions,
  ) {
    const keep = opts.keepChars === undefined ? (s: string) => s : (s: string) => (s.length > opts.keepChars! ? s.slice(-opts.keepChars!) : s);
    this.child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd ?? ROOT, env: { ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  /** Complete stdout lines parsed as JSON (pino); a line that is not JSON is `{ msg: line, raw: true }`. */
  get lines(): readonly LogLine[] {
    const end = this.out.lastIndexOf('\n') + 1;
    if (end < this.parsed.upTo) this.parsed = { upTo: 0, lines: [] }; // the kept tail moved on
    for (const line of this.out.slice(this.parsed.upTo, end).split('\n')) {
      if (!line.trim()) continue;
      try {
        this.parsed.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.parsed.lines.push({ msg: line, raw: true });
      }
    }
    this.parsed.upTo = end;
    return this.parsed.lines;
  }

  /** The tail of both streams, for failure messages. */
  logs(chars = 3000): string {
    return `--- stdout (${this.label}) ---\n${this.out.slice(-chars)}\n--- stderr ---\n${this.err.slice(-chars)}`;
  }

  /** The first log line `match` accepts; fails with the logs when the process exits or the time runs out first. */
  async waitForLine(match: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (!this.running || Date.now() > deadline) throw new Error(`${this.label}: ${this.running ? 'timed out' : 'exited'} waiting for a log line\n${this.logs(4000)}`);
      await sleep(50);
    }
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

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGKILL (or SIGTERM, then SIGKILL after `graceMs`) if still running, then wait for the exit. Safe to call twice. */
  async stop(graceMs = 0): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    if (graceMs <= 0) {
      this.signal('SIGKILL');
      return this.exited;
    }
    this.signal('SIGTERM');
    const { code, signal } = await this.waitExit(graceMs);
    return { code, signal };
  }
}

/** A TCP port nothing listens on right now (the OS picks it; closed again before returning). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
