import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const PRELOAD = './dist/services/src/telemetry/instrumentation.js';
export const MAIN = 'dist/services/src/main.js';
export const FIXTURE = 'test/telemetry/fixtures/app.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A process started with the telemetry preload; stdout is parsed as JSON log lines. */
export class Child {
  readonly lines: LogLine[] = [];
  stderr = '';
  private stdoutRest = '';
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.stdoutRest + chunk).split('\n');
      this.stdoutRest = parts.pop() ?? '';
      for (const p of parts) {
        if (!p.trim()) continue;
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          this.lines.push({ msg: p, raw: true });
        }
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((res) => proc.once('exit', (code) => res(code)));
  }

  /** Waits for a log line matching `match`; fails with the process output on timeout or exit. */
  async waitForLine(match: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `${this.proc.exitCode !== null ? `exited ${this.proc.exitCode}` : 'timed out'} waiting for a log line;\n` +
            `stdout: ${this.lines.map((l) => JSON.stringify(l)).join('\n').slice(-4000)}\nstderr: ${this.stderr.slice(-4000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resolves with the exit code; on timeout kills the process and fails with its output. */
  async waitExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        reject(new Error(`did not exit within ${timeoutMs} ms;\nstdout: ${this.lines.map((l) => JSON.stringify(l)).join('\n').slice(-4000)}\nstderr: ${this.stderr.slice(-4000)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Environment for a child: no inherited OTEL_* settings, only what the test gives. */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') env[k] = v;
  env.NODE_ENV = 'test';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** `node --require <preload> <script> ...args` in the repository root. */
export function startWithTelemetry(script: string, args: string[], env: Record<string, string | undefined>): Child {
  const proc = spawn(process.execPath, ['--require', PRELOAD, script, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Child(proc);
}

/** A TCP port that was free a moment ago (nothing listens there afterwards). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** OTEL_* settings pointing a child at a receiver, exporting quickly. */
export function otelEnv(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    // These tests are about what a trace holds, so every trace is kept; the shipped 10 % default and
    // the spans forced at any ratio are tested in sampler.test.ts.
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    ...extra,
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
