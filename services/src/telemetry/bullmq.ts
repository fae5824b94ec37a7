import { context as otelContext, SpanKind, SpanStatusCode, trace, type Context, type Span as OtelSpan } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Attributes, AttributeValue, ContextManager, Exception, Span, SpanOptions, Telemetry, Time, Tracer } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { rootDrawRatio } from './root-draw';
import { traceUnsampledFailure, TRACER_NAME } from './spans';

/**
 * Housekeeping BullMQ wraps in spans on a timer, on every empty poll or per queue at shutdown. Traced,
 * each would start a root trace of its own (plus one Redis span per command), every few seconds per
 * queue; `getNextJob` that fetched a job carries the job's context and stays in that job's trace.
 */
const HOUSEKEEPING = /^(getNextJob|extendLocks|startStalledCheckTimer|moveStalledJobsToWait|close)( |$)/;

/**
 * BullMQ's span adapter, plus what bullmq-otel leaves out: a failed job attempt sets ERROR status. When
 * the job's trace was not sampled, a failed attempt still sends one span of its own (see
 * traceUnsampledFailure), with the attributes kept here because an unsampled span drops them.
 */
class JobSpan implements Span<Context> {
  private readonly unsampled: { attributes: Attributes; startTime: number; failure?: string } | undefined;

  /** Without `span`: a job not drawn for tracing, whose work starts no spans (tracing suppressed under it). */
  constructor(
    private readonly span: OtelSpan | undefined,
    private readonly name: string,
    private readonly kind: number | undefined,
  ) {
    this.unsampled = span?.isRecording() ? undefined : { attributes: {}, startTime: Date.now() };
  }

  setSpanOnContext(ctx: Context): Context {
    return this.span ? trace.setSpan(ctx, this.span) : suppressTracing(ctx);
  }

  setAttribute(key: string, value: AttributeValue): void {
    this.span?.setAttribute(key, value);
    if (this.unsampled) this.unsampled.attributes[key] = value;
  }

  setAttributes(attributes: Attributes): void {
    this.span?.setAttributes(attributes);
    if (this.unsampled) Object.assign(this.unsampled.attributes, attributes);
  }

  addEvent(name: string, attributes?: Attributes): void {
    this.span?.addEvent(name, attributes);
    if (name === 'job failed') {
      const reason = Object.values(attributes ?? {}).find((v) => typeof v === 'string');
      this.span?.setStatus({ code: SpanStatusCode.ERROR, message: reason ?? name });
      if (this.unsampled) this.unsampled.failure = reason ?? name;
    }
  }

  recordException(exception: Exception, time?: Time): void {
    this.span?.recordException(exception, time);
    const message = typeof exception === 'string' ? exception : (exception.message ?? exception.name ?? 'error');
    this.span?.setStatus({ code: SpanStatusCode.ERROR, message: String(message) });
  }

  end(): void {
    this.span?.end();
    const u = this.unsampled;
    if (u?.failure !== undefined) {
      traceUnsampledFailure(this.span, { name: this.name, kind: this.kind ?? 0, attributes: u.attributes, startTime: u.startTime, message: u.failure });
    }
  }
}

/** Stands in for a housekeeping span: records nothing and suppresses the Redis spans under it. */
class SuppressedSpan implements Span<Context> {
  setSpanOnContext(ctx: Context): Context {
    return suppressTracing(ctx);
  }
  setAttribute(): void {}
  setAttributes(): void {}
  addEvent(): void {}
  recordException(): void {}
  end(): void {}
}

// BullMQ's SpanKind enum has OpenTelemetry's numeric values.
const CONSUMER: number = SpanKind.CONSUMER;

class JobTracer implements Tracer<Context> {
  constructor(private readonly draw: (() => boolean) | undefined) {}

  startSpan(name: string, options?: SpanOptions, context?: Context): Span<Context> {
    if (context === undefined && HOUSEKEEPING.test(name)) return new SuppressedSpan();
    // A job enqueued outside any trace (no context from its options) is drawn here, before any span
    // exists, as an HTTP request is.
    if (Number(options?.kind) === CONSUMER && this.draw && !trace.getSpan(context ?? otelContext.active()) && !this.draw()) {
      return new JobSpan(undefined, name, options?.kind);
    }
    return new JobSpan(trace.getTracer(TRACER_NAME).startSpan(name, options, context), name, options?.kind);
  }
}

export interface QueueTelemetryOptions {
  /**
   * Share of jobs without a trace context (enqueued outside any trace) whose `process` span is started.
   * @default the ratio startTelemetry set (rootDrawRatio); none drawn here when it did not run
   */
  readonly rootSampleRatio?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

class QueueTelemetry implements Telemetry<Context> {
  readonly tracer: JobTracer;
  constructor(opts: QueueTelemetryOptions) {
    const ratio = opts.rootSampleRatio ?? rootDrawRatio();
    const random = opts.random ?? Math.random;
    this.tracer = new JobTracer(ratio === undefined ? undefined : () => random() < ratio);
  }
  // W3C trace context travels in the job's options (`opts.telemetry.metadata`), never in job.data.
  readonly contextManager: ContextManager<Context> = new BullMQOtel({ tracerName: TRACER_NAME }).contextManager;
}

/**
 * BullMQ telemetry for every Queue, Worker and FlowProducer (`telemetry: queueTelemetry()`): the span that
 * adds a job (`add <queue>.<job>`, PRODUCER) carries its context in the job's options, and the worker's
 * `process <queue>` span (CONSUMER) is its child, so the request and the job share one trace.
 */
export function queueTelemetry(opts: QueueTelemetryOptions = {}): Telemetry<Context> {
  return new QueueTelemetry(opts);
}
