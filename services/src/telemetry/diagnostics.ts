import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diagLogLevelFromString, setGlobalErrorHandler } from '@opentelemetry/core';
import type { Logger } from 'pino';
import { REPORTED } from './export-failure-reporter';

/** Distinct messages remembered for de-duplication; beyond this everything is dropped. */
const MAX_DISTINCT = 100;

/**
 * Logs each distinct message once. The SDK repeats the same diagnostic per batch or per request (an
 * unreachable collector, a dropped-spans warning, a retry); the first occurrence carries the information.
 */
export class OnceFilter {
  private readonly seen = new Set<string>();

  first(key: string): boolean {
    // Numbers vary between repeats of one message (ports, retry delays, counts); they do not make it new.
    const k = key.replace(/\d+/g, '#').slice(0, 200);
    if (this.seen.has(k) || this.seen.size >= MAX_DISTINCT) return false;
    this.seen.add(k);
    return true;
  }
}

function text(args: unknown[]): string {
  return args
    .map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)))
    .join(' ');
}

/**
 * Routes OpenTelemetry's own diagnostics into the service's JSON log, each distinct message once, at
 * `OTEL_LOG_LEVEL` (default `warn`).
 */
export function installDiagnostics(log: Logger, level = process.env.OTEL_LOG_LEVEL): void {
  const once = new OnceFilter();
  const write =
    (method: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (message: string, ...args: unknown[]) => {
      const line = text([message, ...args]);
      if (once.first(`${method}:${line}`)) log[method](line);
    };
  const logger: DiagLogger = {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('trace'),
  };
  diag.setLogger(logger, { logLevel: diagLogLevelFromString(level) ?? DiagLogLevel.WARN, suppressOverrideMessage: true });

  // The batch processor reports every failed export here; the exporter wrapper has logged it already.
  setGlobalErrorHandler((err) => reportTelemetryError(log, err, 'telemetry error'));
}

const errorsSeen = new OnceFilter();

/**
 * Logs a telemetry error unless it, or one with the same message, was logged before: the export
 * wrapper's errors are marked, the rest are de-duplicated by message. Returns true if it logged.
 */
export function reportTelemetryError(log: Pick<Logger, 'warn'>, err: unknown, context: string): boolean {
  if (typeof err === 'object' && err !== null && (err as { [REPORTED]?: boolean })[REPORTED]) return false;
  const line = text([err]);
  if (!errorsSeen.first(line)) return false;
  log.warn({ err }, `${context}: ${line}`);
  return true;
}
