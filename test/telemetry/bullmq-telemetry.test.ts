import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Queue, QueueEvents } from 'bullmq';
import { queueTelemetry } from '../../services/src/telemetry/bullmq';
import { withSpan } from '../../services/src/telemetry/spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';
import { startTracedQueue, type TracedJobData, type TracedQueue } from './traced-queue';

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.shutdown());
afterEach(() => tracing.exporter.reset());

describe('queueTelemetry() span adapter', () => {
  it('suppresses worker housekeeping spans and the Redis calls under them', () => {
    const tracer = queueTelemetry().tracer;
    for (const name of ['getNextJob reports', 'extendLocks reports', 'moveStalledJobsToWait reports', 'startStalledCheckTimer reports', 'close reports']) {
      const span = tracer.startSpan(name, { kind: 0 });
      const ctx = span.setSpanOnContext(context.active());
      expect(isTracingSuppressed(ctx)).toBe(true);
      span.end();
    }
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('keeps getNextJob when it carries a job context', () => {
    const tracer = queueTelemetry().tracer;
    const span = tracer.startSpan('getNextJob reports', { kind: 0 }, context.active());
    span.end();
    expect(tracing.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['getNextJob reports']);
  });

  it('marks a span failed on recordException, and only then', () => {
    const tracer = queueTelemetry().tracer;
    const a = tracer.startSpan('add reports.x', { kind: 3 });
    a.end();
    const b = tracer.startSpan('add reports.x', { kind: 3 });
    b.recordException({ name: 'Error', message: 'redis down' });
    b.end();
    const [sa, sb] = tracing.exporter.getFinishedSpans();
    expect(sa!.status.code).toBe(SpanStatusCode.UNSET);
    expect(sb!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'redis down' });
    expect(sa!.kind).toBe(SpanKind.PRODUCER);
  });
});

describe('a real queue (queueTelemetry) and worker (ConsumerSpans)', () => {
  let fixture: TracedQueue | undefined;
  let name: string;
  let queue: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    // a short stalled-check interval, so the idle test below sees several housekeeping rounds
    ({ name, queue, events } = fixture = await startTracedQueue('otel-bullmq', { stalledInterval: 200 }));
  });

  afterAll(() => fixture?.close());

  async function runJob(data: TracedJobData): Promise<{ root: ReadableSpan; spans: ReadableSpan[] }> {
    const job = await withSpan('POST /api/v1/analyze-async', {}, async () => {
      return queue.add('generate_campaign_report', data, { attempts: 1 });
    });
    const root = tracing.exporter.getFinishedSpans().find((s) => s.name === 'POST /api/v1/analyze-async')!;
    await (data.fail ? job.waitUntilFinished(events).catch(() => undefined) : job.waitUntilFinished(events));
    // the worker ends its span right after the job settles
    const deadline = Date.now() + 5000;
    const traceId = root.spanContext().traceId;
    const processOf = () =>
      tracing.exporter.getFinishedSpans().find((s) => s.name === `process ${name}` && s.spanContext().traceId === traceId);
    while (!processOf() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { root, spans: tracing.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId) };
  }

  it('puts the producer span, the worker span and the domain span into the request trace; job data stays clean', async () => {
    const { root, spans } = await runJob({});
    const add = spans.find((s) => s.name === `add ${name}.generate_campaign_report`);
    const processing = spans.find((s) => s.name === `process ${name}`);
    const build = spans.find((s) => s.name === 'report.build');
    expect(add?.kind).toBe(SpanKind.PRODUCER);
    expect(add?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(processing?.kind).toBe(SpanKind.CONSUMER);
    expect(processing?.parentSpanContext?.spanId).toBe(add?.spanContext().spanId);
    expect(processing?.attributes['bullmq.job.name']).toBe('generate_campaign_report');
    expect(processing?.attributes['bullmq.queue.name']).toBe(name);
    expect(processing?.status.code).toBe(SpanStatusCode.UNSET);
    expect(build?.parentSpanContext?.spanId).toBe(processing?.spanContext().spanId);
    const stored = await queue.getJobs(['completed']);
    expect(stored.at(-1)?.data).toEqual({});
  });

  it('marks the worker span and the domain span as errors when the job fails', async () => {
    const { spans } = await runJob({ fail: true });
    const processing = spans.find((s) => s.name === `process ${name}`);
    const build = spans.find((s) => s.name === 'report.build');
    expect(processing?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot build' });
    expect(build?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot build' });
    expect(build?.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('an idle worker records no spans', async () => {
    tracing.exporter.reset();
    await new Promise((r) => setTimeout(r, 1500));
    const names = tracing.exporter.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual([]);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
