import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/env';

/** How long a client may take, and how many it may be; see the HTTP_* variables in config/env.ts. */
export interface HttpServerLimits {
  /** ms from a request's first byte until its headers are complete (HTTP_HEADERS_TIMEOUT_MS). */
  readonly headersTimeoutMs: number;
  /** ms from a request's first byte until its body is complete (HTTP_REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs: number;
  /** ms an idle keep-alive connection is kept after a response (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveTimeoutMs: number;
  /** Open connections per process; more are closed as they arrive (HTTP_MAX_CONNECTIONS). */
  readonly maxConnections: number;
}

export interface HttpServerOptions extends HttpServerLimits {
  /** Warned (at most once per second) when connections are refused because `maxConnections` are open. */
  readonly logger?: Pick<Logger, 'warn'>;
}

export function httpServerLimits(cfg: Pick<Config, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'>): HttpServerLimits {
  return {
    headersTimeoutMs: cfg.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: cfg.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: cfg.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: cfg.HTTP_MAX_CONNECTIONS,
  };
}

/**
 * Node checks the two request timeouts only every `connectionsCheckingInterval` (30 s by default, so
 * a 60 s headers timeout held slow clients for up to 90 s). A tenth of the headers timeout, capped at
 * one second, closes a slow client within 10 % of its limit for the cost of one pass over the
 * connections that have a request in progress.
 */
export const checkingIntervalMs = (limits: Pick<HttpServerLimits, 'headersTimeoutMs'>) => Math.min(1000, Math.max(50, Math.floor(limits.headersTimeoutMs / 10)));

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'the request headers or body did not arrive in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', detail: 'the request headers are too large' },
};

/**
 * A problem+json answer written straight to the socket for requests that never reach Express (a
 * timeout, unparsable HTTP), as Node's default handler would but in the API's error shape. Nothing is
 * written when a response has already started on the connection: a second status line would corrupt it.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // `_httpMessage` is the in-flight ServerResponse; Node's own handler makes the same check.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const known = CLIENT_ERRORS[err.code ?? ''] ?? { status: 400, code: 'bad_request', detail: 'the request is not valid HTTP/1.1' };
  const title = STATUS_CODES[known.status] ?? 'Error';
  const body = JSON.stringify({ type: `urn:pca-agent:problem:${known.code}`, title, status: known.status, detail: known.detail });
  socket.end(
    `HTTP/1.1 ${known.status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * An HTTP server with explicit limits for slow and idle clients instead of Node's defaults: headers
 * and whole requests are bounded and checked often, idle keep-alive connections outlive a load
 * balancer's (so the proxy never reuses one the server is closing), and connections are capped.
 */
export function createHttpServer(handler: RequestListener, opts: HttpServerOptions): Server {
  if (opts.headersTimeoutMs > opts.requestTimeoutMs) {
    throw new RangeError(`headersTimeoutMs (${opts.headersTimeoutMs}) must not exceed requestTimeoutMs (${opts.requestTimeoutMs})`);
  }
  const server = createServer(
    {
      headersTimeout: opts.headersTimeoutMs,
      requestTimeout: opts.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(opts),
    },
    handler,
  );
  server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  server.maxConnections = opts.maxConnections;
  server.on('clientError', onClientError);
  let lastDrop = 0;
  let dropped = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (!opts.logger || now - lastDrop < 1000) return;
    lastDrop = now;
    opts.logger.warn({ max_connections: opts.maxConnections, dropped }, 'connections refused: HTTP_MAX_CONNECTIONS are open');
    dropped = 0;
  });
  return server;
}
