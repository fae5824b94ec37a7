import { createHash, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError, sendProblem } from '../errors';
import type { AuthFailureReason } from '../../metrics/api-metrics';

// jose 6 is ESM-only; Node 24 require()s it natively, which TypeScript's node16 module mode does not model.
// typescript-eslint cannot resolve type imports with an import attribute (tsc can): it sees these as error types.
/* eslint-disable @typescript-eslint/no-unsafe-assignment */
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type JWTPayload = import('jose', { with: { 'resolution-mode': 'import' } }).JWTPayload;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: require() of an ESM package
const { errors: joseErrors, jwtVerify } = require('jose') as Jose;
/* eslint-enable @typescript-eslint/no-unsafe-assignment */

export type Scope = 'read' | 'write';
export const SCOPES: readonly Scope[] = ['read', 'write'];

/** Who is calling, attached to `res.locals.auth` by the auth middleware. */
export interface AuthContext {
  readonly method: 'api_key' | 'jwt';
  /** The JWT `sub`, or a short digest of the key (never the key itself). */
  readonly subject: string;
  readonly scopes: readonly Scope[];
}

export interface AuthOptions {
  /** Keys with read and write scope. @default [] */
  readonly apiKeys?: readonly string[];
  /** Keys with read scope only. @default [] */
  readonly readOnlyApiKeys?: readonly string[];
  /** HS256 secret; exclusive with `jwtPublicKey`. */
  readonly jwtSecret?: string;
  /** PEM SPKI public key; RSA keys verify RS256, P-256 EC keys ES256. */
  readonly jwtPublicKey?: string;
  /** Checked when set. */
  readonly jwtIssuer?: string;
  /** Checked when set. */
  readonly jwtAudience?: string;
  /** Requests that need no credentials (health, metrics, docs). */
  readonly isPublic: (req: Request) => boolean;
}

const REALM = 'pca-agent';
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

interface JwtVerifier {
  readonly key: KeyObject | Uint8Array;
  readonly algorithms: string[];
}

function jwtVerifier(opts: AuthOptions): JwtVerifier | undefined {
  if (opts.jwtSecret) return { key: new TextEncoder().encode(opts.jwtSecret), algorithms: ['HS256'] };
  if (!opts.jwtPublicKey) return undefined;
  // A literal "\n" in an env var is the usual way to carry a PEM on one line.
  const key = createPublicKey(opts.jwtPublicKey.replace(/\\n/g, '\n'));
  if (key.asymmetricKeyType === 'rsa') return { key, algorithms: ['RS256'] };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, algorithms: ['ES256'] };
  throw new Error(`JWT_PUBLIC_KEY: unsupported key type ${key.asymmetricKeyType} (use RSA for RS256 or P-256 EC for ES256)`);
}

function scopesOf(payload: JWTPayload): Scope[] {
  const raw = payload.scope ?? payload.scopes;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw.filter((s) => typeof s === 'string') : [];
  return SCOPES.filter((s) => list.includes(s));
}

class AuthFailure extends ApiError {
  constructor(readonly reason: AuthFailureReason, detail: string, error?: 'invalid_token' | 'invalid_request') {
    super(401, 'unauthorized', detail, undefined, {
      'WWW-Authenticate': error
        ? `Bearer realm="${REALM}", error="${error}", error_description="${detail}"`
        : `Bearer realm="${REALM}"`,
    });
  }
}

/**
 * Authentication (failures are left in `res.locals.authFailure` for metrics and stats): `X-API-Key: <key>` or `Authorization: Bearer <key or JWT>`. Keys are compared in
 * constant time over SHA-256 digests (equal lengths, no early exit); JWTs are verified with jose with
 * the algorithm pinned to the configured key, so `alg: none` and HS/RS confusion are refused, and
 * `exp`/`nbf` (and `iss`/`aud` when configured) are checked. Missing or bad credentials give 401 with
 * `WWW-Authenticate`; scopes are checked per route by `requireScope`.
 */
export function authenticate(opts: AuthOptions): RequestHandler {
  const full = (opts.apiKeys ?? []).map(digest);
  const readOnly = (opts.readOnlyApiKeys ?? []).map(digest);
  const verifier = jwtVerifier(opts);
  // A configured key, once presented, is not hashed again (SHA-256 per request was a visible share of it).
  // Only keys that matched are kept, so this holds at most one entry per configured key; skipping the hash
  // tells a caller only that the exact key it sent is valid, which the answer says anyway.
  const matched = new Map<string, AuthContext>();

  function matchKey(d: Buffer): Scope[] | undefined {
    let scopes: Scope[] | undefined;
    // Visit every configured key so the time taken does not depend on which one matched.
    for (const k of full) if (timingSafeEqual(d, k)) scopes = ['read', 'write'];
    for (const k of readOnly) if (timingSafeEqual(d, k) && !scopes) scopes = ['read'];
    return scopes;
  }

  async function verifyJwt(token: string): Promise<AuthContext> {
    if (!verifier) throw new AuthFailure('invalid_token', 'bearer tokens are not accepted by this deployment', 'invalid_token');
    try {
      const { payload } = await jwtVerify(token, verifier.key, {
        algorithms: verifier.algorithms,
        ...(opts.jwtIssuer ? { issuer: opts.jwtIssuer } : {}),
        ...(opts.jwtAudience ? { audience: opts.jwtAudience } : {}),
      });
      return { method: 'jwt', subject: typeof payload.sub === 'string' ? payload.sub : 'jwt', scopes: scopesOf(payload) };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new AuthFailure('expired', 'the token has expired', 'invalid_token');
      throw new AuthFailure('invalid_token', 'the token is not valid', 'invalid_token');
    }
  }

  async function identify(req: Request): Promise<AuthContext> {
    const headerKey = req.get('x-api-key');
    const authorization = req.get('authorization');
    if (headerKey === undefined && authorization === undefined) {
      throw new AuthFailure('missing', 'credentials are required: X-API-Key or Authorization: Bearer');
    }
    let presented = headerKey;
    if (presented === undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) throw new AuthFailure('missing', 'the Authorization header must be "Bearer <token>"', 'invalid_request');
      presented = match[1]!;
      // A compact JWS has three dot-separated parts; API keys never contain dots by convention.
      if (presented.split('.').length === 3) return verifyJwt(presented);
    }
    const known = matched.get(presented);
    if (known) return known;
    const d = digest(presented);
    const scopes = matchKey(d);
    if (!scopes) throw new AuthFailure('invalid_key', 'the API key is not valid', 'invalid_token');
    const context: AuthContext = { method: 'api_key', subject: `key:${d.toString('hex', 0, 4)}`, scopes };
    matched.set(presented, context);
    return context;
  }

  return (req, res, next) => {
    if (opts.isPublic(req)) return next();
    // A key seen before is answered at once: no promise, no hash.
    const header = req.get('x-api-key');
    const known = header === undefined ? undefined : matched.get(header);
    if (known) {
      res.locals.auth = known;
      return next();
    }
    identify(req).then(
      (auth) => {
        res.locals.auth = auth;
        next();
      },
      (err: unknown) => {
        if (err instanceof AuthFailure) {
          res.locals.authFailure = err.reason;
          return sendProblem(req, res, err);
        }
        next(err);
      },
    );
  };
}

/** 403 unless the authenticated caller holds `scope`. */
export function requireScope(scope: Scope): RequestHandler {
  return (req, res, next) => {
    const auth = res.locals.auth;
    if (auth?.scopes.includes(scope)) return next();
    res.locals.authFailure = 'insufficient_scope' satisfies AuthFailureReason;
    sendProblem(
      req,
      res,
      new ApiError(403, 'insufficient_scope', `this operation needs the "${scope}" scope`, undefined, {
        'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`,
      }),
    );
  };
}
