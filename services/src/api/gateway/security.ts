import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export interface SecurityOptions {
  /** Origins allowed by CORS; empty turns CORS off (no CORS headers at all). @default [] */
  readonly corsOrigins?: readonly string[];
}

/** Security headers (helmet defaults) and, only when origins are configured, CORS. */
export function securityHeaders(opts: SecurityOptions = {}): RequestHandler[] {
  const origins = opts.corsOrigins ?? [];
  const handlers: RequestHandler[] = [helmet()];
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
