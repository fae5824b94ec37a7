import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { flattenTraces, startOtlpReceiver } from '../helpers/otlp-receiver';
import { decodeTraceRequest } from '../helpers/otlp-protobuf';
import { startInMemoryTracing } from '../telemetry/in-memory-tracing';

// The chart configures http/protobuf, so the receiver standing in for the collector must read it: the
// decoder has to agree with the SDK's own JSON encoding of the same spans.
test('protobuf ExportTraceServiceRequest decodes to what OTLP/JSON carries for the same spans', async () => {
  const tracing = startInMemoryTracing();
  try {
    const tracer = trace.getTracer('decoder-test', '1.0.0');
    tracer.startActiveSpan('parent', { kind: SpanKind.SERVER, attributes: { s: 'x', i: 42, neg: -7, d: 1.5, b: true, list: ['a', 'b'] } }, (parent) => {
      const child = tracer.startSpan('child', { kind: SpanKind.PRODUCER, links: [{ context: parent.spanContext() }] });
      child.addEvent('happened', { n: 1 });
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      child.end();
      parent.end();
    });
    const spans = tracing.exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    const proto = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    const json = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    const strip = (s: ReturnType<typeof flattenTraces>) => s.map((x) => ({ ...x })).sort((a, b) => a.name.localeCompare(b.name));
    expect(strip(flattenTraces(decodeTraceRequest(proto)))).toEqual(strip(flattenTraces(json)));
    const child = flattenTraces(decodeTraceRequest(proto)).find((s) => s.name === 'child')!;
    expect(child).toMatchObject({ kind: 4, status: { code: 2, message: 'boom' }, events: [{ name: 'happened', attributes: { n: 1 } }] });
    expect(child.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
  } finally {
    await tracing.shutdown();
  }
});

test('the receiver accepts protobuf only when asked to', async () => {
  for (const protobuf of [false, true]) {
    const r = await startOtlpReceiver({ protobuf });
    try {
      const res = await fetch(`${r.endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
      expect(res.status).toBe(200);
      expect(r.rejected).toBe(protobuf ? 0 : 1);
    } finally {
      await r.close();
    }
  }
});
