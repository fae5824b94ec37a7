import { context, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { TelemetryAttributes, type Job, type Worker } from 'bullmq';
import { contextFromJobMetadata } from './bullmq';
import { rootDrawRatio } from './root-draw';
import { traceUnsampledFailure, TRACER_NAME } from './spans';

export interface ConsumerSpansOptions {
  /** The Worker's queue: the span is `process <queue>`. */
  readonly queue: string;
  /** The Worker's `name` option (`bullmq.worker.name`). */
  readonly workerName: string;
  /**
   * Share of jobs without a trace context (enqueued outside any trace) that get a span.
   * @default the ratio startTelemetry set (rootDrawRatio); without it every job, and the sampler decides
   */
  readonly rootSampleRatio?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

// A job not drawn runs under this: its Redis calls and domain spans record nothing.
const SUPPRESSED = suppressTracing(ROOT_CONTEXT);

/** The producer's context from the job's options (`opts.telemetry.metadata`, W3C trace context), if any. */
function producerContext(job: Job): Context | undefined {
  const metadata = job.opts.telemetry?.metadata;
  if (!metadata) return undefined;
  try {
    const ctx = contextFromJobMetadata(metadata);
    const parent = trace.getSpanContext(ctx);
    return parent && isSpanContextValid(parent) ? ctx : undefined;
  } catch {
    // Not what BullMQ's telemetry writes (not JSON): the job starts a trace of its own.
    return undefined;
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The worker's side of a job's trace, in place of BullMQ's Worker telemetry: one `process <queue>` span
 * (CONSUMER) per attempt around the processor, the child of the span that added the job (its context
 * travels in the job's options), with the job's id, name and attempt. A job enqueued outside any trace is
 * drawn at the root ratio before any span exists; one not drawn runs with tracing suppressed and costs a
 * random number. A failed attempt sets ERROR (and a `job failed` event); when its span was not sampled
 * (or there is none) it still sends one forced span (traceUnsampledFailure), also for failures outside
 * the processor (`watch`).
 *
 * BullMQ's own worker spans are left out: per job they were a `complete` span and its `evalsha`, and on
 * every sampled job the whole result as an event; the completion write is BullMQ's, the same for every job.
 */
export class ConsumerSpans {
  private readonly name: string;
  private readonly draw: (() => boolean) | undefined;
  /** Attempts whose failure was traced in the processor; `watch` traces the others. */
  private readonly failedInside = new WeakSet<Job>();
  /** The context of each job that has a span (about one in ten at the default ratio), for `within`. */
  private readonly contexts = new WeakMap<Job, Context>();

  constructor(private readonly opts: ConsumerSpansOptions) {
    this.name = `process ${opts.queue}`;
    const ratio = opts.rootSampleRatio ?? rootDrawRatio();
    const random = opts.random ?? Math.random;
    this.draw = ratio === undefined ? undefined : () => random() < ratio;
  }

  /** `processor` with each attempt inside its span. */
  wrap<T>(processor: (job: Job) => Promise<T>): (job: Job) => Promise<T> {
    return (job) => this.run(job, processor);
  }

  /**
   * Runs `fn` in the job's trace context: BullMQ emits 'completed' and 'failed' after the attempt's span has
   * ended, and the log lines written there should still carry the job's trace id.
   */
  within<T>(job: Job | undefined, fn: () => T): T {
    const ctx = job && this.contexts.get(job);
    return ctx ? context.with(ctx, fn) : fn();
  }

  /** Traces the failures BullMQ reports without the processor having failed (e.g. the completion write). */
  watch(worker: Worker): void {
    worker.on('failed', (job, err) => {
      if (!job || this.failedInside.delete(job)) return;
      const ctx = this.contexts.get(job) ?? producerContext(job);
      traceUnsampledFailure(ctx && trace.wrapSpanContext(trace.getSpanContext(ctx)!), {
        name: this.name,
        kind: SpanKind.CONSUMER,
        attributes: this.attributes(job),
        message: err.message,
      });
    });
  }

  private async run<T>(job: Job, processor: (job: Job) => Promise<T>): Promise<T> {
    const parent = producerContext(job);
    const startTime = Date.now();
    if (!parent && this.draw && !this.draw()) {
      try {
        return await context.with(SUPPRESSED, processor, undefined, job);
      } catch (err) {
        this.failedInside.add(job);
        traceUnsampledFailure(undefined, { name: this.name, kind: SpanKind.CONSUMER, attributes: this.attributes(job), startTime, message: message(err) });
        throw err;
      }
    }
    const ctx = parent ?? ROOT_CONTEXT;
    const span = trace.getTracer(TRACER_NAME).startSpan(this.name, { kind: SpanKind.CONSUMER, attributes: this.attributes(job) }, ctx);
    const spanContext = trace.setSpan(ctx, span);
    this.contexts.set(job, spanContext);
    try {
      return await context.with(spanContext, processor, undefined, job);
    } catch (err) {
      this.failedInside.add(job);
      this.fail(span, job, message(err), startTime);
      throw err;
    } finally {
      span.end();
    }
  }

  private fail(span: Span, job: Job, reason: string, startTime: number): void {
    if (!span.isRecording()) {
      traceUnsampledFailure(span, { name: this.name, kind: SpanKind.CONSUMER, attributes: this.attributes(job), startTime, message: reason });
      return;
    }
    span.addEvent('job failed', { [TelemetryAttributes.JobFailedReason]: reason });
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
  }

  private attributes(job: Job): Attributes {
    return {
      [TelemetryAttributes.QueueName]: this.opts.queue,
      [TelemetryAttributes.QueueOperation]: 'process',
      [TelemetryAttributes.WorkerName]: this.opts.workerName,
      [TelemetryAttributes.JobId]: job.id,
      [TelemetryAttributes.JobName]: job.name,
      // This attempt included, as BullMQ counts once it has finished.
      [TelemetryAttributes.JobAttemptsMade]: job.attemptsMade + 1,
    };
  }
}
