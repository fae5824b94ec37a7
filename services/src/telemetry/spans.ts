import { context, INVALID_SPAN_CONTEXT, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type TimeInput } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing } from '@opentelemetry/core';
import { FORCE_TRACE_ATTRIBUTE } from './sampler';

/** Instrumentation scope of every span the application itself creates. */
export const TRACER_NAME = 'pca-agent';

/**
 * Names of the domain spans, so the worker, the task runner and the tests agree. Attributes use the
 * `pca.` namespace with bounded values (counts, formats, job names; never payloads or raw ids lists).
 */
export const DOMAIN_SPANS = {
  /** attributes: pca.report.campaigns, pca.report.source ('inline' | 'stored') */
  buildReport: 'report.build',
  /** attributes: pca.upload.format, pca.upload.bytes, pca.upload.rows, pca.upload.errors */
  parseUpload: 'upload.parse',
  /** attributes: pca.report.campaigns, pca.render.bytes */
  renderPdf: 'report.render_pdf',
  renderXlsx: 'report.render_xlsx',
  /** one batch of campaign writes (its Redis commands get no spans of their own); attributes: pca.batch.rows */
  storeBatch: 'store.upsert_batch',
  /** an upload's staged rows moved into the store, one span (its Redis commands get none); attributes: pca.upload.id */
  storeCommit: 'store.commit_upload',
  /** `task <job_name>`; attributes: pca.task.name and the task's own counts */
  task: (jobName: string) => `task ${jobName}`,
} as const;

/** Marks a span failed: exception event with stack, ERROR status with the message. */
export function recordSpanError(span: Pick<Span, 'recordException' | 'setStatus'>, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * Runs `fn` inside a new span that is active for everything `fn` awaits (Redis calls, nested
 * `withSpan`s, log lines' trace ids). A throw or rejection records the exception, sets ERROR status and
 * is rethrown unchanged; the span always ends. Costs next to nothing when telemetry is not started.
 *
 * @example
 *   const report = await withSpan(DOMAIN_SPANS.buildReport, { 'pca.report.source': 'stored' }, async (span) => {
 *     const r = await buildReport(input);
 *     span.setAttribute('pca.report.campaigns', r.campaigns.length);
 *     return r;
 *   });
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T): Promise<T> {
  // Inside a job or request not drawn for tracing the span would record nothing: skip it and the context switch.
  if (isTracingSuppressed(context.active())) return runUnrecorded(fn);
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordSpanError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

const NOT_RECORDED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

async function runUnrecorded<T>(fn: (span: Span) => Promise<T> | T): Promise<T> {
  return fn(NOT_RECORDED);
}

/**
 * `withSpan` for bulk Redis work: one span for the whole batch, and none for the commands inside it
 * (tracing is suppressed under it). A 100k-row import otherwise made ~100k `evalsha` spans in one trace.
 */
export function withBatchSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return withSpan(name, attributes, () => context.with(suppressTracing(context.active()), fn));
}

export interface UnsampledFailure {
  /** Name of the span that failed, e.g. `process reports` or `GET /api/v1/campaigns`. */
  readonly name: string;
  readonly kind: SpanKind;
  /** What the failed span would have carried (bounded values only). */
  readonly attributes?: Attributes;
  /** When the failed span started. @default now */
  readonly startTime?: TimeInput;
  readonly message: string;
}

/**
 * A failure the sampler did not keep still reaches the backend: when `span` is not recording (or there
 * is none: a request not drawn for tracing), one root span (always sampled: `pca.trace.force`) with
 * ERROR status, linked to the unsampled span if there is one, so its trace id is at hand. Does nothing
 * for a sampled span, which carries the error itself, or when telemetry is off (no-op tracer).
 */
export function traceUnsampledFailure(span: Span | undefined, failure: UnsampledFailure): void {
  if (span?.isRecording()) return;
  const linked = span && isSpanContextValid(span.spanContext()) ? [{ context: span.spanContext() }] : [];
  // From the root context: a request or job not drawn runs with tracing suppressed, which would swallow it.
  const forced = trace.getTracer(TRACER_NAME).startSpan(
    failure.name,
    {
      root: true,
      kind: failure.kind,
      startTime: failure.startTime,
      attributes: { ...failure.attributes, [FORCE_TRACE_ATTRIBUTE]: true },
      links: linked,
    },
    ROOT_CONTEXT,
  );
  forced.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  forced.end();
}
