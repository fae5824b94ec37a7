import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export interface LoggerOptions {
  /** OpenTelemetry service name, e.g. `pca-agent-api`. */
  readonly service: string;
  /** @default 'info' */
  readonly level?: string;
  /** Pretty output only for a person at a terminal, never in production. @default auto */
  readonly pretty?: boolean;
  /** Where lines go. @default stdout */
  readonly destination?: pino.DestinationStream;
}

/**
 * pino JSON logger carrying `service.name` and the active span's `trace_id`/`span_id`.
 * Credentials are redacted wherever they could appear.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production');
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { 'service.name': opts.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        '*.password',
        '*.apiKey',
        '*.token',
      ],
      censor: '[redacted]',
    },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const ctx = span.spanContext();
      return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: `0${ctx.traceFlags.toString(16)}` };
    },
  };
  if (opts.destination) return pino(options, opts.destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(options);
}
