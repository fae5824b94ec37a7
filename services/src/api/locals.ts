import type { AuthContext } from './gateway/auth';
import type { ValidatedInput } from './gateway/validate';
import type { AuthFailureReason } from '../metrics/api-metrics';

/** What the gateway's middleware leave in `res.locals` for the ones after them, declared once. */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares Locals in its global namespace
  namespace Express {
    interface Locals {
      /** Set by requestContext, the first middleware. */
      requestId?: string;
      /** process.hrtime.bigint() when requestContext saw the request. */
      startedAt?: bigint;
      /** The route template that served (or refused) the request: a bounded label. */
      route?: string;
      /** The parsed params, query and body, left by validate. */
      input?: ValidatedInput;
      auth?: AuthContext;
      /** Why authentication or the scope check refused the request. */
      authFailure?: AuthFailureReason;
      rateLimited?: boolean;
    }
  }
}
