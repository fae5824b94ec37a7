import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * Names the active HTTP server span after its route template: when the response ends, withServerSpans
 * sets `http.route` and calls the span `GET /items/:id`. This is what ExpressInstrumentation did, without
 * its wrapper around every middleware and router layer, which cost more CPU per request than the rest
 * of tracing even when the request was not traced. A no-op outside a traced request.
 */
export function setHttpRoute(route: string): void {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = route;
}

type RoutedRequest = IncomingMessage & { readonly baseUrl?: string; readonly route?: { readonly path?: unknown } };

/**
 * For an Express app whose routes do not call setHttpRoute themselves: when the response head is
 * written, the route that matched (`req.baseUrl` + `req.route.path`) names the span.
 */
export function httpRouteNaming(): (req: RoutedRequest, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with res as this
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
      const path = req.route?.path;
      if (typeof path === 'string') setHttpRoute(`${req.baseUrl ?? ''}${path}`);
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  };
}
