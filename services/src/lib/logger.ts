import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export interface LoggerOptions {
  /** OpenTelemetry service name, e.g. `pca-agent-api`; `OTEL_SERVICE_NAME` wins, as it does for traces. */
  readonly service: string;
  /** @default 'info' */
  readonly level?: string;
  /** Pretty output only for a person at a terminal, never in production. @default auto */
  readonly pretty?: boolean;
  /** Where lines go. @default stdout */
  readonly destination?: pino.DestinationStream;
  /**
   * Write stdout asynchronously and in batches: lines are gathered until there are ASYNC_STDOUT_BATCH_BYTES
   * or the next flush (every ASYNC_STDOUT_FLUSH_MS), then written together (a busy API logs a line per request, and a write
   * per line cost more than formatting it); whatever is left is written synchronously when the process
   * exits. @default false
   */
  readonly asyncStdout?: boolean;
}

/** A batched stdout writes once this much is gathered… */
export const ASYNC_STDOUT_BATCH_BYTES = 4096;
/** …or at least this often, so a quiet process's lines show up promptly all the same. */
export const ASYNC_STDOUT_FLUSH_MS = 100;

let lastTimeMs = Number.NaN;
let lastTime = '';

/**
 * pino's `isoTime`, formatted once per millisecond: a busy API writes several lines within the same
 * one, and `toISOString` was a third of a short line's formatting.
 */
export function isoTime(): string {
  const ms = Date.now();
  if (ms !== lastTimeMs) {
    lastTimeMs = ms;
    lastTime = `,"time":"${new Date(ms).toISOString()}"`;
  }
  return lastTime;
}

/** `trace_id`, `span_id`, `trace_flags` of the active span (W3C hex, as in `traceparent`), or nothing. */
export function traceFields(): Record<string, string> {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: ctx.traceFlags.toString(16).padStart(2, '0') };
}

/**
 * pino JSON logger carrying `service.name` and the active span's `trace_id`/`span_id`, so a log line
 * leads to its trace in Jaeger and back. Errors go under `err` (message, type, stack).
 * Credentials are redacted wherever they could appear.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const service = process.env.OTEL_SERVICE_NAME?.trim() || opts.service;
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production');
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { 'service.name': service, pid: process.pid },
    timestamp: isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'req.headers["proxy-authorization"]',
        'headers.authorization',
        'headers["x-api-key"]',
        'headers.cookie',
        'password',
        'apiKey',
        'token',
        '*.password',
        '*.apiKey',
        '*.token',
      ],
      censor: '[redacted]',
    },
    mixin: traceFields,
  };
  if (opts.destination) return pino(options, opts.destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  if (opts.asyncStdout) return pino(options, asyncStdout());
  return pino(options);
}

let sharedAsyncStdout: pino.DestinationStream | undefined;

/** One batched asynchronous stdout per process (two streams would interleave), flushed on exit. */
function asyncStdout(): pino.DestinationStream {
  if (sharedAsyncStdout) return sharedAsyncStdout;
  const dest = pino.destination({ dest: 1, sync: false, minLength: ASYNC_STDOUT_BATCH_BYTES, periodicFlush: ASYNC_STDOUT_FLUSH_MS });
  // 'exit' handlers run for process.exit() too; only synchronous work counts there.
  process.once('exit', () => {
    try {
      dest.flushSync();
    } catch {
      // stdout gone (EPIPE) or still busy (EAGAIN): nothing more can be done while exiting
    }
  });
  sharedAsyncStdout = dest;
  return dest;
}
