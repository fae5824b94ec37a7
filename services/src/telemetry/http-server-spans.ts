import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { RPCType, setRPCMetadata, suppressTracing, type RPCMetadata } from '@opentelemetry/core';
import { isUntracedRequest } from './instrumentations';
import { TRACER_NAME } from './spans';

export interface ServerSpanOptions {
  /** Share of requests without a `traceparent` that start a trace. */
  readonly rootSampleRatio: number;
  /** @default Math.random */
  readonly random?: () => number;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);
// Work in a request not drawn for tracing starts no span of its own either (Redis, queue, S3 calls).
const NOT_DRAWN = suppressTracing(ROOT_CONTEXT);

/**
 * A SERVER span per request, around a request listener (the app), instead of the HTTP
 * instrumentation's patch of `Server.prototype.emit`. That patch bound the request and the response to
 * the context (wrapping every listener anyone adds to either), which cost about 30 µs a request even
 * for requests it was told to ignore. Here a request that is not traced costs one `Math.random()`:
 * without a `traceparent`, a request is drawn at `rootSampleRatio` before any span exists; with one,
 * the sampler follows it. Probes and scrapes (`UNTRACED_PATHS`) are never traced.
 *
 * The span carries the stable HTTP semantic conventions; routes name it through `setHttpRoute` (the
 * RPC metadata in the context, the place OpenTelemetry's HTTP instrumentations keep it), so it ends as
 * `GET /items/:id`.
 */
export function withServerSpans(listener: RequestListener, opts: ServerSpanOptions): RequestListener {
  const random = opts.random ?? Math.random;
  const tracer = trace.getTracer(TRACER_NAME);
  return (req, res) => {
    if (isUntracedRequest(req)) return listener(req, res);
    let parent = ROOT_CONTEXT;
    if (req.headers.traceparent !== undefined) parent = propagation.extract(ROOT_CONTEXT, req.headers);
    else if (!(random() < opts.rootSampleRatio)) return context.with(NOT_DRAWN, () => listener(req, res));
    const method = req.method ?? 'GET';
    const known = KNOWN_METHODS.has(method);
    // Semantic conventions: `{method} {route}`, and `HTTP` for a method outside the known set.
    const spanMethod = known ? method : 'HTTP';
    const span = tracer.startSpan(spanMethod, { kind: SpanKind.SERVER, attributes: requestAttributes(req, method, known) }, parent);
    const rpc: RPCMetadata = { type: RPCType.HTTP, span };
    res.once('close', () => endServerSpan(span, rpc, spanMethod, res));
    context.with(setRPCMetadata(trace.setSpan(parent, span), rpc), () => {
      try {
        listener(req, res);
      } catch (err) {
        span.recordException(err as Error);
        throw err;
      }
    });
  };
}

function requestAttributes(req: IncomingMessage, method: string, known: boolean): Attributes {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const host = req.headers.host ?? '';
  const colon = host.lastIndexOf(':');
  const tls = (req.socket as Partial<TLSSocket>).encrypted === true;
  const attributes: Attributes = {
    'http.request.method': known ? method : '_OTHER',
    'url.scheme': tls ? 'https' : 'http',
    'url.path': q < 0 ? url : url.slice(0, q),
    'network.protocol.version': req.httpVersion,
    'network.peer.address': req.socket.remoteAddress,
    'network.peer.port': req.socket.remotePort,
  };
  if (!known) attributes['http.request.method_original'] = method;
  if (host) {
    // `[::1]:8080`, `example.com:8080`, `example.com`
    const hasPort = colon > host.lastIndexOf(']');
    attributes['server.address'] = hasPort ? host.slice(0, colon) : host;
    attributes['server.port'] = hasPort ? Number(host.slice(colon + 1)) : tls ? 443 : 80;
  }
  const agent = req.headers['user-agent'];
  if (agent) attributes['user_agent.original'] = agent;
  return attributes;
}

/** On 'close': a finished response has its status; one the client left before it finished is an error. */
function endServerSpan(span: Span, rpc: RPCMetadata, spanMethod: string, res: ServerResponse): void {
  const route = rpc.type === RPCType.HTTP ? rpc.route : undefined;
  if (route !== undefined) {
    span.setAttribute('http.route', route);
    span.updateName(`${spanMethod} ${route}`);
  }
  if (res.headersSent) span.setAttribute('http.response.status_code', res.statusCode);
  if (!res.writableFinished) {
    span.setAttribute('error.type', 'aborted');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the connection before the response was complete' });
  } else if (res.statusCode >= 500) {
    span.setAttribute('error.type', String(res.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
