import { PcaError, UsageError } from '../lib/errors';

/** An error the ctl explains to the user in one sentence; main prints `message` and exits 1. */
export class CtlError extends PcaError {}

/** A command-line mistake: main prints the message with the usage and exits 2. */
export { UsageError };

export class ReleaseNotFoundError extends CtlError {}

/** Where the ctl was talking to, so an error can say which cluster refused. */
export interface ErrorContext {
  readonly context?: string;
  readonly server?: string;
  readonly namespace?: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused; is the cluster running (`kind get clusters`, `minikube status`)?',
  ENOTFOUND: 'the host name does not resolve; is this the right context?',
  EAI_AGAIN: 'the host name does not resolve; is this the right context?',
  ETIMEDOUT: 'the connection timed out; is the cluster reachable from here?',
  ECONNRESET: 'the connection was reset; is the cluster reachable from here?',
  EHOSTUNREACH: 'the host is unreachable; is the cluster reachable from here?',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out; is the cluster reachable from here?',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is not trusted by the kubeconfig (self-signed)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted by the kubeconfig',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted by the kubeconfig',
  CERT_HAS_EXPIRED: 'its TLS certificate (or your client certificate) has expired',
};

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The `message` of a Kubernetes Status body, whether client-node handed it over parsed or as text. */
function statusMessage(body: unknown): string | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (value as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** Turns any failure into one sentence for the terminal: no stack trace, the context named. */
export function describeError(err: unknown, where: ErrorContext = {}): string {
  if (err instanceof CtlError || err instanceof UsageError) return err.message;
  const ctx = where.context ? ` (context "${where.context}")` : '';
  const status = (err as { code?: unknown } | undefined)?.code;
  if (typeof status === 'number' && 'body' in (err as object)) {
    const detail = statusMessage((err as { body?: unknown }).body);
    switch (status) {
      case 401:
        return `The cluster rejected your credentials (401 Unauthorized)${ctx}: log in again or refresh the kubeconfig token.`;
      case 403:
        return `Forbidden by RBAC (403)${ctx}: ${detail ?? 'your user may not do this'}; ask for a Role that allows it in namespace "${where.namespace ?? 'default'}".`;
      case 404:
        return `Not found (404)${ctx}: ${detail ?? 'the API path does not exist on this cluster'}.`;
      default:
        return `The Kubernetes API answered ${status}${ctx}: ${detail ?? 'no detail given'}.`;
    }
  }
  const code = errorCode(err);
  if (code && NETWORK_REASONS[code]) {
    return `Cannot reach the Kubernetes API at ${where.server ?? 'the configured server'}${ctx}: ${NETWORK_REASONS[code]}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `Unexpected error${ctx}: ${message.split('\n')[0]}`;
}
