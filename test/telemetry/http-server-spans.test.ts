import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import express from 'express';
import pino from 'pino';
import { errorHandler } from '../../services/src/api/errors';
import { setHttpRoute } from '../../services/src/telemetry/http-route';
import { FORCE_TRACE_ATTRIBUTE } from '../../services/src/telemetry/sampler';
import { withServerSpans } from '../../services/src/telemetry/http-server-spans';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing';

let tracing: InMemoryTracing;
// as shipped: parent-based, and the roots this wrapper draws are sampled by it (ratio 1 below the draw)
beforeAll(() => {
  tracing = startInMemoryTracing({ sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }) });
});
afterEach(() => tracing.exporter.reset());
afterAll(() => tracing.shutdown());

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What the app saw of the active context while it handled the request. */
interface Seen {
  spanId?: string;
  traceId?: string;
  suppressed: boolean;
}

function app(seen: Seen[], status = 200): RequestListener {
  return (req, res) => {
    setHttpRoute('/items/:id');
    // after an await, as a handler reading Redis would be
    void Promise.resolve().then(() => {
      const ctx = trace.getActiveSpan()?.spanContext();
      seen.push({ spanId: ctx?.spanId, traceId: ctx?.traceId, suppressed: isTracingSuppressed(context.active()) });
      res.statusCode = status;
      res.end('{}');
    });
  };
}

const waitForSpans = async (n: number) => {
  for (let i = 0; i < 100 && tracing.exporter.getFinishedSpans().length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return tracing.exporter.getFinishedSpans();
};

describe('withServerSpans', () => {
  it('a drawn request gets one SERVER span named after its route, active for the handler, with the HTTP attributes', async () => {
    const seen: Seen[] = [];
    const base = await serve(withServerSpans(app(seen), { rootSampleRatio: 1 }));
    const res = await fetch(`${base}/items/42?limit=3`, { headers: { 'user-agent': 'spec/1' } });
    expect(res.status).toBe(200);
    const [span, ...rest] = await waitForSpans(1);
    expect(rest).toEqual([]);
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.name).toBe('GET /items/:id');
    expect(span!.parentSpanContext).toBeUndefined();
    expect(seen).toEqual([{ spanId: span!.spanContext().spanId, traceId: span!.spanContext().traceId, suppressed: false }]);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'url.path': '/items/42',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'spec/1',
    });
    expect(span!.attributes['server.port']).toBe(Number(new URL(base).port));
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a request not drawn starts no span, and the work it does starts none either (tracing suppressed)', async () => {
    const seen: Seen[] = [];
    const base = await serve(withServerSpans(app(seen), { rootSampleRatio: 0 }));
    expect((await fetch(`${base}/items/1`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
    expect(seen).toEqual([{ spanId: undefined, traceId: undefined, suppressed: true }]);
  });

  it('draws at the given ratio with the given source of randomness', async () => {
    const draws = [0.05, 0.5, 0.09, 0.95];
    const base = await serve(withServerSpans(app([]), { rootSampleRatio: 0.1, random: () => draws.shift()! }));
    for (let i = 0; i < 4; i++) await fetch(`${base}/items/${i}`);
    const spans = await waitForSpans(2);
    expect(spans.map((s) => s.attributes['url.path']).sort()).toEqual(['/items/0', '/items/2']);
  });

  it('follows an incoming traceparent at any ratio: sampled continues the trace, unsampled records nothing', async () => {
    const seen: Seen[] = [];
    const base = await serve(withServerSpans(app(seen), { rootSampleRatio: 0 }));
    const traceId = 'ab'.repeat(16);
    await fetch(`${base}/items/1`, { headers: { traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` } });
    await fetch(`${base}/items/2`, { headers: { traceparent: `00-${'ef'.repeat(16)}-${'cd'.repeat(8)}-00` } });
    const [span, ...rest] = await waitForSpans(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(rest).toEqual([]);
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe('cd'.repeat(8));
    // the unsampled parent stays the active trace (so a job it enqueues is not sampled on its own)
    expect(seen[1]).toMatchObject({ traceId: 'ef'.repeat(16), suppressed: false });
  });

  it('a request not drawn that fails with a 500 still sends one ERROR span (tracing being suppressed does not swallow it)', async () => {
    const app = express();
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    const base = await serve(withServerSpans(app, { rootSampleRatio: 0 }));
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    const [forced, ...rest] = await waitForSpans(1);
    expect(rest).toEqual([]);
    expect(forced!.kind).toBe(SpanKind.SERVER);
    expect(forced!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'kaput' });
    expect(forced!.attributes).toMatchObject({ 'http.response.status_code': 500, [FORCE_TRACE_ATTRIBUTE]: true });
  });

  it('never traces probes and scrapes', async () => {
    const base = await serve(withServerSpans(app([]), { rootSampleRatio: 1 }));
    for (const path of ['/health', '/ready', '/metrics', '/ready/']) await fetch(`${base}${path}`);
    await new Promise((r) => setTimeout(r, 50));
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
  });

  it('a 5xx ends the span with an error status; a 4xx does not', async () => {
    const failing = await serve(withServerSpans(app([], 503), { rootSampleRatio: 1 }));
    const refusing = await serve(withServerSpans(app([], 404), { rootSampleRatio: 1 }));
    await fetch(`${failing}/items/1`);
    await fetch(`${refusing}/items/1`);
    const spans = await waitForSpans(2);
    const byStatus = new Map(spans.map((s) => [s.attributes['http.response.status_code'], s]));
    expect(byStatus.get(503)!.status.code).toBe(SpanStatusCode.ERROR);
    expect(byStatus.get(503)!.attributes['error.type']).toBe('503');
    expect(byStatus.get(404)!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a client that leaves before the response is complete ends the span as aborted', async () => {
    const base = await serve(
      withServerSpans((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      }, { rootSampleRatio: 1 }),
    );
    await new Promise<void>((resolve) => {
      const req = request(`${base}/slow`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    const [span] = await waitForSpans(1);
    expect(span!.name).toBe('GET');
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });
});
