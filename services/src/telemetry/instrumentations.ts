import type { IncomingMessage } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';

/** Probe and scrape paths: called every few seconds by Kubernetes and Prometheus, never worth a trace. */
export const UNTRACED_PATHS: ReadonlySet<string> = new Set([
  '/health',
  '/healthz',
  '/live',
  '/livez',
  '/ready',
  '/readyz',
  '/metrics',
]);

const LONGEST_UNTRACED = Math.max(...[...UNTRACED_PATHS].map((p) => p.length));

export function isUntracedRequest(req: Pick<IncomingMessage, 'url'>): boolean {
  const url = req.url ?? '/';
  // Asked of every request: index arithmetic, no split or regular expression.
  const q = url.indexOf('?');
  let end = q < 0 ? url.length : q;
  while (end > 1 && url.charCodeAt(end - 1) === 0x2f) end--;
  return end <= LONGEST_UNTRACED && UNTRACED_PATHS.has(url.slice(0, end));
}

const MAX_STATEMENT = 256;

/**
 * `db.query.text` for Redis: the command and its keys, never values. The default serializer keeps every
 * argument of EVAL/EVALSHA, which for BullMQ's scripts is the whole job payload.
 */
export function redisStatement(command: string, args: ReadonlyArray<unknown>): string {
  const cmd = command.toUpperCase();
  let shown: unknown[];
  if (cmd === 'EVALSHA' || cmd === 'EVAL' || cmd === 'FCALL' || cmd === 'FCALL_RO') {
    const numKeys = Number(args[1]);
    shown = Number.isInteger(numKeys) && numKeys >= 0 ? args.slice(0, 2 + numKeys) : args.slice(0, 1);
    if (cmd === 'EVAL') shown[0] = '<script>';
  } else {
    shown = args.slice(0, 1);
  }
  const rest = args.length - shown.length;
  const parts = shown.map((a) => (Buffer.isBuffer(a) ? '<buffer>' : String(a)));
  if (rest > 0) parts.push(`[${rest} other arguments]`);
  const out = [cmd, ...parts].join(' ');
  return out.length > MAX_STATEMENT ? `${out.slice(0, MAX_STATEMENT - 1)}…` : out;
}

/**
 * Outgoing HTTP (S3, the Kubernetes API) and ioredis. Incoming requests get their SERVER span from
 * `withServerSpans` around the app (not from this instrumentation's patch of the server), and there is
 * no Express instrumentation: it wrapped every middleware and router layer, at a CPU cost per request
 * larger than the rest of tracing, traced or not; routes name the server span themselves
 * (`setHttpRoute`), and neither middleware nor handlers get spans of their own. Their Redis calls show
 * under the server span. Outgoing and ioredis spans need a parent: BullMQ's blocking polls and the
 * metrics sampler run outside any request or job and would otherwise start a root trace every few seconds.
 */
export function createInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
    new IORedisInstrumentation({
      requireParentSpan: true,
      // Under an unsampled parent the span records nothing: skip building its statement.
      dbStatementSerializer: (cmd, args) => (trace.getActiveSpan()?.isRecording() ? redisStatement(cmd, args) : ''),
    }),
  ];
}
