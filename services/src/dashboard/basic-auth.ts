import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError, sendProblem } from '../api/errors';

/** Where a client stands with its failed logins. */
export interface LoginVerdict {
  /** Refuse without judging: the client has used up its failures for this window. */
  readonly blocked: boolean;
  /** Failures counted in the current window (this one included, after `fail`). */
  readonly failures: number;
  readonly maxFailures: number;
  /** Until the window ends (for `Retry-After`). */
  readonly retryAfterSeconds: number;
}

/** What limits guessing (login-limit.ts); basic auth asks it before accepting and tells it after refusing. */
export interface LoginGate {
  check(req: Request): Promise<LoginVerdict>;
  fail(req: Request): Promise<LoginVerdict>;
}

export type LoginFailure = 'wrong credentials' | 'malformed credentials';

export interface BasicAuthOptions {
  readonly username: string;
  readonly password: string;
  /** @default 'pca-agent dashboard' */
  readonly realm?: string;
  /** @default no limit */
  readonly gate?: LoginGate;
  /** Called for every refused attempt (never with what was typed). */
  readonly onFailure?: (req: Request, reason: LoginFailure, verdict: LoginVerdict | undefined) => void;
  /** Called once per client and window, on the attempt that blocks it. */
  readonly onBlocked?: (req: Request, verdict: LoginVerdict) => void;
}

// Hashing first gives equal-length inputs, so timingSafeEqual also hides the secret's length.
const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();

/**
 * HTTP basic auth with constant-time comparison of both the user name and the password (both are
 * always compared). Requests without Basic credentials get the challenge and are not counted; a
 * refusal is a 401 problem+json with the challenge, so the browser asks again; a blocked client gets
 * a 429 problem+json with `Retry-After` and no challenge.
 */
export function basicAuth(opts: BasicAuthOptions): RequestHandler {
  const user = digest(opts.username);
  const pass = digest(opts.password);
  const challenge = `Basic realm="${opts.realm ?? 'pca-agent dashboard'}", charset="UTF-8"`;
  const unauthorized = new ApiError(401, 'unauthorized', 'the dashboard needs its user name and password', undefined, { 'WWW-Authenticate': challenge });
  const tooMany = (v: LoginVerdict) =>
    new ApiError(429, 'too_many_failed_logins', `more than ${v.maxFailures} failed logins from this client; retry after the time in Retry-After`, undefined, {
      'Retry-After': String(v.retryAfterSeconds),
    });

  return async (req, res, next) => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
    if (!match) return sendProblem(req, res, unauthorized);
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    const okUser = timingSafeEqual(digest(sep >= 0 ? decoded.slice(0, sep) : ''), user);
    const okPass = timingSafeEqual(digest(sep >= 0 ? decoded.slice(sep + 1) : decoded), pass);
    try {
      if (sep >= 0 && okUser && okPass) {
        const verdict = await opts.gate?.check(req);
        if (verdict?.blocked) return sendProblem(req, res, tooMany(verdict));
        res.locals.dashboardUser = opts.username;
        return next();
      }
      const verdict = await opts.gate?.fail(req);
      if (verdict?.blocked) {
        if (verdict.failures === verdict.maxFailures + 1) opts.onBlocked?.(req, verdict);
        return sendProblem(req, res, tooMany(verdict));
      }
      opts.onFailure?.(req, sep >= 0 ? 'wrong credentials' : 'malformed credentials', verdict);
      sendProblem(req, res, unauthorized);
    } catch (err) {
      next(err);
    }
  };
}
