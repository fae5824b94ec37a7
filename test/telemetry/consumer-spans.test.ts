import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Job } from 'bullmq';
import { FORCE_TRACE_ATTRIBUTE } from '../../services/src/telemetry/sampler';
import { withSpan } from '../../services/src/telemetry/spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';
import { startTracedQueue, type TracedJobData, type TracedJobResult, type TracedQueue } from './traced-queue';
import type { ConsumerSpansOptions } from '../../services/src/telemetry/consumer-spans';

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.shutdown());

describe('ConsumerSpans on a real queue and worker', () => {
  let fixture: TracedQueue | undefined;

  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
    tracing.exporter.reset();
  });

  async function start(spans: Partial<ConsumerSpansOptions>): Promise<TracedQueue> {
    fixture = await startTracedQueue('consumer-spans', {}, spans);
    return fixture;
  }

  /**
   * Adds a job and waits for the worker's own 'completed' or 'failed' event: ConsumerSpans ends its span
   * before the first and listens to the second ahead of this, so the job's spans are all in by then.
   */
  function run(f: TracedQueue, add: () => Promise<Job<TracedJobData>>): Promise<{ job: Job; outcome: TracedJobResult | Error }> {
    return new Promise((resolve, reject) => {
      let added: Job | undefined;
      const seen = new Map<string, TracedJobResult | Error>();
      const finish = () => {
        const outcome = added?.id === undefined ? undefined : seen.get(added.id);
        if (added && outcome) resolve({ job: added, outcome });
      };
      f.worker.on('completed', (job, result: TracedJobResult) => {
        seen.set(job.id!, result);
        finish();
      });
      f.worker.on('failed', (job, err) => {
        if (job?.id) seen.set(job.id, err);
        finish();
      });
      add().then((job) => {
        added = job;
        finish();
      }, reject);
    });
  }

  const spansNamed = (name: string): ReadableSpan[] => tracing.exporter.getFinishedSpans().filter((s) => s.name === name);

  it('a job enqueued outside any trace and not drawn gets no span and runs with tracing suppressed', async () => {
    const f = await start({ rootSampleRatio: 0 });
    const { outcome } = await run(f, () => f.plain.add('health_check', {}));
    expect(outcome).toEqual({ suppressed: true });
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
  });

  it('a job not drawn that fails still sends one forced ERROR span with the job attributes, and nothing else', async () => {
    const f = await start({ rootSampleRatio: 0 });
    const { job, outcome } = await run(f, () => f.plain.add('generate_pdf_report', { fail: true }, { attempts: 1 }));
    expect(outcome).toBeInstanceOf(Error);
    const [forced, ...rest] = tracing.exporter.getFinishedSpans();
    expect(rest).toEqual([]);
    expect(forced!.name).toBe(`process ${f.name}`);
    expect(forced!.kind).toBe(SpanKind.CONSUMER);
    expect(forced!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot build' });
    expect(forced!.attributes).toMatchObject({
      'bullmq.queue.name': f.name,
      'bullmq.job.name': 'generate_pdf_report',
      'bullmq.job.id': job.id,
      'bullmq.job.attempts.made': 1,
      [FORCE_TRACE_ATTRIBUTE]: true,
    });
  });

  it('draws jobs without a trace context at the ratio, with the given randomness', async () => {
    const draws = [0.05, 0.5];
    const f = await start({ rootSampleRatio: 0.1, random: () => draws.shift() ?? 1 });
    // one at a time, so the draws go to the jobs in order
    const { job: drawn, outcome: first } = await run(f, () => f.plain.add('drawn', {}));
    expect(first).toEqual({ suppressed: false });
    const { outcome: second } = await run(f, () => f.plain.add('skipped', {}));
    expect(second).toEqual({ suppressed: true });
    const [processing] = spansNamed(`process ${f.name}`);
    expect(spansNamed(`process ${f.name}`)).toHaveLength(1);
    expect(processing!.attributes).toMatchObject({ 'bullmq.job.id': drawn.id, 'bullmq.job.name': 'drawn', 'bullmq.worker.name': 'traced-queue' });
    expect(processing!.parentSpanContext).toBeUndefined();
    const [build] = spansNamed('report.build');
    expect(build!.parentSpanContext?.spanId).toBe(processing!.spanContext().spanId);
  });

  it('a job enqueued inside a trace is always followed, whatever the ratio', async () => {
    const f = await start({ rootSampleRatio: 0 });
    const { outcome } = await run(f, () => withSpan('POST /api/v1/analyze-async', {}, () => f.queue.add('generate_campaign_report', {})));
    expect(outcome).toEqual({ suppressed: false });
    const [add] = spansNamed(`add ${f.name}.generate_campaign_report`);
    const [processing] = spansNamed(`process ${f.name}`);
    expect(processing!.parentSpanContext?.spanId).toBe(add!.spanContext().spanId);
    expect(processing!.spanContext().traceId).toBe(add!.spanContext().traceId);
  });

  it('a failure after the processor (a result BullMQ cannot store) still sends an ERROR span', async () => {
    const f = await start({ rootSampleRatio: 1 });
    const { outcome } = await run(f, () => f.plain.add('generate_campaign_report', { unstorable: true }, { attempts: 1 }));
    expect(outcome).toBeInstanceOf(Error);
    const [processing, forced] = spansNamed(`process ${f.name}`);
    // the attempt's span ended when the processor returned; the failure came after it
    expect(processing!.status.code).toBe(SpanStatusCode.UNSET);
    expect(forced!.attributes[FORCE_TRACE_ATTRIBUTE]).toBe(true);
    expect(forced!.status.code).toBe(SpanStatusCode.ERROR);
    expect(forced!.status.message).toMatch(/circular/i);
  });
});
