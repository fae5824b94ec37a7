import { ChildRun } from '../helpers/child-process';

export { freePort, ROOT, type LogLine } from '../helpers/child-process';
export const PRELOAD = './dist/services/src/telemetry/instrumentation.js';
export const MAIN = 'dist/services/src/main.js';
export const FIXTURE = 'test/telemetry/fixtures/app.js';

/** How long a stopped child may take to shut down after SIGTERM (it flushes spans) before SIGKILL. */
export const STOP_GRACE_MS = 10_000;

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
export function startWithTelemetry(script: string, args: string[], env: Record<string, string | undefined>): ChildRun {
  return new ChildRun([script, ...args].join(' '), [process.execPath, '--require', PRELOAD, script, ...args], { env: childEnv(env) });
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
