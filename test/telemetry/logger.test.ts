import { Writable } from 'node:stream';
import { createLogger, traceFields } from '../../services/src/lib/logger';
import { withSpan } from '../../services/src/telemetry/spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.shutdown());

describe('createLogger', () => {
  const saved = process.env.OTEL_SERVICE_NAME;
  afterEach(() => {
    if (saved === undefined) delete process.env.OTEL_SERVICE_NAME;
    else process.env.OTEL_SERVICE_NAME = saved;
  });

  it('adds the active span ids inside a span and none outside', async () => {
    delete process.env.OTEL_SERVICE_NAME;
    const out = capture();
    const log = createLogger({ service: 'pca-agent-api', destination: out.stream });
    log.info('outside');
    let ids: { traceId: string; spanId: string } | undefined;
    await withSpan('work', {}, async (span) => {
      ids = span.spanContext();
      await new Promise((r) => setTimeout(r, 1));
      log.info('inside');
    });
    const [outside, inside] = out.lines();
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside!['service.name']).toBe('pca-agent-api');
    expect(inside).toMatchObject({ msg: 'inside', trace_id: ids!.traceId, span_id: ids!.spanId, trace_flags: '01', 'service.name': 'pca-agent-api', level: 'info' });
    expect(inside!.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('uses OTEL_SERVICE_NAME when set, like the traces do', () => {
    process.env.OTEL_SERVICE_NAME = 'pca-agent-api-canary';
    const out = capture();
    createLogger({ service: 'pca-agent-api', destination: out.stream }).info('x');
    expect(out.lines()[0]!['service.name']).toBe('pca-agent-api-canary');
  });

  it('logs errors under err with type and stack, and redacts credentials', () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream });
    log.error({ err: new RangeError('nope'), req: { headers: { 'x-api-key': 'k-123', authorization: 'Bearer t' } }, password: 'p' }, 'failed');
    const [line] = out.lines();
    expect(line!.err).toMatchObject({ type: 'RangeError', message: 'nope' });
    expect(String((line!.err as { stack: string }).stack)).toContain('RangeError: nope');
    const text = JSON.stringify(line);
    expect(text).not.toContain('k-123');
    expect(text).not.toContain('Bearer t');
    expect(line!.password).toBe('[redacted]');
  });

  it('traceFields is empty without an active span', () => {
    expect(traceFields()).toEqual({});
  });
});
