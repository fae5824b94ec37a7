import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

export interface BasicAuthOptions {
  readonly username: string;
  readonly password: string;
  /** @default 'pca-agent dashboard' */
  readonly realm?: string;
}

// Hashing first gives equal-length inputs, so timingSafeEqual also hides the secret's length.
const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();

/** HTTP basic auth with constant-time comparison of both the user name and the password. */
export function basicAuth(opts: BasicAuthOptions): RequestHandler {
  const user = digest(opts.username);
  const pass = digest(opts.password);
  const challenge = `Basic realm="${opts.realm ?? 'pca-agent dashboard'}", charset="UTF-8"`;
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
    if (match) {
      const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep >= 0) {
        const okUser = timingSafeEqual(digest(decoded.slice(0, sep)), user);
        const okPass = timingSafeEqual(digest(decoded.slice(sep + 1)), pass);
        if (okUser && okPass) return next();
      }
    }
    res.set('WWW-Authenticate', challenge).status(401).type('text/plain').send('authentication required');
  };
}
