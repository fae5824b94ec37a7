import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ApiError, sendProblem } from '../api/errors';

export type LoginFailure = 'wrong credentials' | 'malformed credentials';

export interface BasicAuthOptions {
  readonly username: string;
  readonly password: string;
  /** @default 'pca-agent dashboard' */
  readonly realm?: string;
  /** Called for every request whose Basic credentials were refused (never with the credentials). */
  readonly onFailure?: (req: Request, reason: LoginFailure) => void;
}

// Hashing first gives equal-length inputs, so timingSafeEqual also hides the secret's length.
const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();

/** True once `basicAuth` accepted this request's credentials. */
export const isAuthenticated = (_req: Request, res: Response): boolean => res.locals.dashboardUser !== undefined;

/**
 * HTTP basic auth with constant-time comparison of both the user name and the password (both are
 * always compared, so a wrong name takes as long as a wrong password). A refusal is a 401
 * problem+json with the challenge, so the browser asks again.
 */
export function basicAuth(opts: BasicAuthOptions): RequestHandler {
  const user = digest(opts.username);
  const pass = digest(opts.password);
  const challenge = `Basic realm="${opts.realm ?? 'pca-agent dashboard'}", charset="UTF-8"`;
  const refuse = new ApiError(401, 'unauthorized', 'the dashboard needs its user name and password', undefined, { 'WWW-Authenticate': challenge });
  return (req, res, next) => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
    if (match) {
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep >= 0) {
        const okUser = timingSafeEqual(digest(decoded.slice(0, sep)), user);
        const okPass = timingSafeEqual(digest(decoded.slice(sep + 1)), pass);
        if (okUser && okPass) {
          res.locals.dashboardUser = opts.username;
          return next();
        }
      }
      opts.onFailure?.(req, sep >= 0 ? 'wrong credentials' : 'malformed credentials');
    }
    sendProblem(req, res, refuse);
  };
}
