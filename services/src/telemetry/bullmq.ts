import { ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span as OtelSpan } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Attributes, AttributeValue, ContextManager, Exception, Span, SpanOptions, Telemetry, Time, Tracer } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { TRACER_NAME } from './spans';

/**
 * Housekeeping BullMQ wraps in spans on its own: `close` per queue at shutdown and, were a Worker given this
 * adapter (the worker uses ConsumerSpans), polls, lock renewals and stalled checks. Traced, each would start a
 * root trace of its own (plus one Redis span per command) every few seconds.
 */
const HOUSEKEEPING = /^(getNextJob|extendLocks|startStalledCheckTimer|moveStalledJobsToWait|close)( |$)/;

/** BullMQ's span adapter, plus what bullmq-otel leaves out: a recorded exception sets ERROR status. */
class QueueSpan implements Span<Context> {
  constructor(private readonly span: OtelSpan) {}

  setSpanOnContext(ctx: Context): Context {
    return trace.setSpan(ctx, this.span);
  }

  setAttribute(key: string, value: AttributeValue): void {
    this.span.setAttribute(key, value);
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  addEvent(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }

  recordException(exception: Exception, time?: Time): void {
    this.span.recordException(exception, time);
    const message = typeof exception === 'string' ? exception : (exception.message ?? exception.name ?? 'error');
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: String(message) });
  }

  end(): void {
    this.span.end();
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

class QueueTracer implements Tracer<Context> {
  startSpan(name: string, options?: SpanOptions, context?: Context): Span<Context> {
    if (context === undefined && HOUSEKEEPING.test(name)) return new SuppressedSpan();
    return new QueueSpan(trace.getTracer(TRACER_NAME).startSpan(name, options, context));
  }
}

// W3C trace context travels in the job's options (`opts.telemetry.metadata`), never in job.data.
const JOB_CONTEXT: ContextManager<Context> = new BullMQOtel({ tracerName: TRACER_NAME }).contextManager;

class QueueTelemetry implements Telemetry<Context> {
  readonly tracer = new QueueTracer();
  readonly contextManager = JOB_CONTEXT;
}

/** The trace context a producer wrote into a job's options (`opts.telemetry.metadata`), read the way it was written. */
export function contextFromJobMetadata(metadata: string): Context {
  return JOB_CONTEXT.fromMetadata(ROOT_CONTEXT, metadata);
}

/**
 * BullMQ telemetry for every Queue and FlowProducer (`telemetry: queueTelemetry()`): the span that adds a
 * job (`add <queue>.<job>`, PRODUCER) carries its context in the job's options, where the worker's
 * `process <queue>` span (ConsumerSpans) finds its parent, so the request and the job share one trace.
 */
export function queueTelemetry(): Telemetry<Context> {
  return new QueueTelemetry();
}
