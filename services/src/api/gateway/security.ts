import cors from 'cors';
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';

/** Content-Security-Policy directives: name → sources (an empty list for a flag such as `upgrade-insecure-requests`). */
export type CspDirectives = Readonly<Record<string, readonly string[]>>;

/** All a JSON (or problem+json) response needs: it loads nothing and is framed by nobody. */
export const API_CSP: CspDirectives = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] };

/** An HTML page served by the API, with the CSP its page and assets need. */
export interface PagePolicy {
  /** Path the page and its assets live under, e.g. `/api/docs` (matches itself and everything below it). */
  readonly path: string;
  readonly csp: CspDirectives;
}

export interface SecurityOptions {
  /** Origins allowed by CORS; empty turns CORS off (no CORS headers at all). @default [] */
  readonly corsOrigins?: readonly string[];
  /** Pages with their own CSP; every other response gets {@link API_CSP}. @default [] */
  readonly pages?: readonly PagePolicy[];
  /** `Strict-Transport-Security` max-age, sent over HTTPS only. @default 31_536_000 (one year) */
  readonly hstsMaxAgeSeconds?: number;
}

export function serializeCsp(directives: CspDirectives): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/**
 * Security headers that fit the transport the request arrived on. `req.secure` is true for TLS on
 * the socket or, from a trusted proxy only (app.ts sets `trust proxy` to exactly TRUST_PROXY_HOPS),
 * `X-Forwarded-Proto: https`. Only then are `Strict-Transport-Security`, `Cross-Origin-Opener-Policy`
 * and a page's `upgrade-insecure-requests` sent: over plain HTTP through a host name the browser
 * would rewrite every asset and "Try it out" call to an https:// URL nothing answers (browsers ignore
 * HSTS and COOP on plain HTTP anyway). helmet's other headers go on every response.
 */
export function securityHeaders(opts: SecurityOptions = {}): RequestHandler[] {
  const origins = opts.corsOrigins ?? [];
  const pages = opts.pages ?? [];
  const hsts = `max-age=${opts.hstsMaxAgeSeconds ?? 31_536_000}; includeSubDomains`;
  const apiCsp = serializeCsp(API_CSP);
  const pageCsp = pages.map((p) => ({
    matches: (req: Request) => req.path === p.path || req.path.startsWith(`${p.path}/`),
    plain: serializeCsp(p.csp),
    secure: serializeCsp({ ...p.csp, 'upgrade-insecure-requests': [] }),
  }));
  const byTransport: RequestHandler = (req, res, next) => {
    const page = pageCsp.find((p) => p.matches(req));
    res.setHeader('Content-Security-Policy', page ? (req.secure ? page.secure : page.plain) : apiCsp);
    if (req.secure) {
      res.setHeader('Strict-Transport-Security', hsts);
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    }
    next();
  };
  const handlers: RequestHandler[] = [
    helmet({ contentSecurityPolicy: false, strictTransportSecurity: false, crossOriginOpenerPolicy: false, xFrameOptions: { action: 'deny' } }),
    byTransport,
  ];
  if (origins.length > 0) {
    handlers.push(
      cors({
        origin: origins.includes('*') ? '*' : [...origins],
        methods: ['GET', 'POST', 'PATCH', 'DELETE'],
        allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'X-Request-Id'],
        exposedHeaders: ['X-Request-Id', 'X-Process-Time', 'X-Gateway-Version', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'Location'],
        maxAge: 600,
      }),
    );
  }
  return handlers;
}
