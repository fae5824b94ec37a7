import { once } from 'node:events';
import { request, createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReverseProxyOptions {
  /** Port of the upstream on 127.0.0.1. */
  readonly target: number;
  /** Public path prefix the app is served under, e.g. `/pca`; anything outside it is a 404 here. @default '' */
  readonly prefix?: string;
  /** TLS termination with this key and certificate (PEM); the upstream gets `X-Forwarded-Proto: https`. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface ReverseProxy {
  readonly port: number;
  /** Paths that reached the proxy outside its prefix (a page that ignored the prefix). */
  readonly outside: string[];
  close(): Promise<void>;
}

/**
 * A tiny ingress: strips `prefix` (as nginx-ingress `rewrite-target` or Traefik `StripPrefix` do),
 * optionally terminates TLS, and sets X-Forwarded-For/-Proto/-Host/-Prefix. Redirects pass through
 * unchanged, so an absolute-path Location from the app would escape the prefix, as it would for real.
 */
export async function startReverseProxy(opts: ReverseProxyOptions): Promise<ReverseProxy> {
  const prefix = opts.prefix ?? '';
  const outside: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (prefix && url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
      outside.push(url);
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not under ${prefix}`);
      return;
    }
    const path = url.slice(prefix.length) || '/';
    const upstream = request(
      {
        host: '127.0.0.1',
        port: opts.target,
        method: req.method,
        path: path.startsWith('/') ? path : `/${path}`,
        headers: {
          ...req.headers,
          'x-forwarded-for': req.socket.remoteAddress ?? '',
          'x-forwarded-proto': opts.tls ? 'https' : 'http',
          'x-forwarded-host': req.headers.host ?? '',
          ...(prefix ? { 'x-forwarded-prefix': prefix } : {}),
        },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.headersSent || res.writeHead(502).end('bad gateway'));
    req.pipe(upstream);
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    outside,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
