import { SpanStatusCode, trace } from '@opentelemetry/api';
import { DOMAIN_SPANS, TRACER_NAME, withSpan } from '../../services/src/telemetry/spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';

let tracing: InMemoryTracing;

beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterEach(() => tracing.exporter.reset());
afterAll(() => tracing.shutdown());

describe('withSpan', () => {
  it('returns the result and ends one span with the given name, attributes and scope', async () => {
    const result = await withSpan(DOMAIN_SPANS.buildReport, { 'pca.report.source': 'stored' }, async (span) => {
      span.setAttribute('pca.report.campaigns', 3);
      return 'done';
    });
    expect(result).toBe('done');
    const [span, ...rest] = tracing.exporter.getFinishedSpans();
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('report.build');
    expect(span!.ended).toBe(true);
    expect(span!.instrumentationScope.name).toBe(TRACER_NAME);
    expect(span!.attributes).toEqual({ 'pca.report.source': 'stored', 'pca.report.campaigns': 3 });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('makes the span active for everything the function awaits, so nested spans are its children', async () => {
    let activeInside: string | undefined;
    await withSpan('outer', {}, async () => {
      await new Promise((r) => setTimeout(r, 5));
      activeInside = trace.getActiveSpan()?.spanContext().spanId;
      await withSpan('inner', {}, async () => undefined);
    });
    const spans = tracing.exporter.getFinishedSpans();
    const outer = spans.find((s) => s.name === 'outer')!;
    const inner = spans.find((s) => s.name === 'inner')!;
    expect(activeInside).toBe(outer.spanContext().spanId);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
  });

  it('on a rejection records the exception, sets ERROR status and rethrows the same error', async () => {
    const boom = new TypeError('bad rows');
    await expect(withSpan(DOMAIN_SPANS.parseUpload, { 'pca.upload.format': 'csv' }, async () => Promise.reject(boom))).rejects.toBe(boom);
    const [span] = tracing.exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad rows' });
    const exception = span!.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.type']).toBe('TypeError');
    expect(exception?.attributes?.['exception.message']).toBe('bad rows');
    expect(String(exception?.attributes?.['exception.stacktrace'])).toContain('bad rows');
    expect(span!.ended).toBe(true);
  });

  it('handles synchronous throws and non-Error values', async () => {
    await expect(
      withSpan('sync', {}, () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error throw is the case under test
        throw 'plain string';
      }),
    ).rejects.toBe('plain string');
    const [span] = tracing.exporter.getFinishedSpans();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain string' });
  });

  it('names task spans after the job', () => {
    expect(DOMAIN_SPANS.task('cleanup_old_reports')).toBe('task cleanup_old_reports');
  });
});
