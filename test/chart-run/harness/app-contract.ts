import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from '../../../services/src/config/env';
import { ROOT } from './image';
import { WiringError } from './wiring-error';

/**
 * What the app reads from its environment: every variable of the config schema, every `env.NAME` the
 * sources read directly (PCA_API_URL, OTEL_SERVICE_NAME...), and the OpenTelemetry SDK's, the AWS SDK's and
 * Node's own variables. A variable the chart sets outside this set is read by nothing: a misspelt name.
 */
function sourceVariables(dir = join(ROOT, 'services', 'src')): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      for (const v of sourceVariables(p)) out.add(v);
    } else if (name.endsWith('.ts')) {
      for (const m of readFileSync(p, 'utf8').matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) out.add((m[1] ?? m[2])!);
    }
  }
  return out;
}

// The AWS SDK's default credential chain (the s3 blob store): static keys, or a web-identity token (IRSA).
const AWS_SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'];
const KNOWN = new Set([...Object.keys(envSchema.shape), ...sourceVariables(), ...AWS_SDK_VARIABLES]);
const KNOWN_PREFIXES = ['OTEL_', 'NODE_', 'UV_'];

/** The app's listening ports, by variable: the only env values the harness rewrites besides addresses. */
export const LISTEN_PORT_VARIABLES: readonly string[] = Object.keys(envSchema.shape).filter((k) => /(^|_)PORT$/.test(k));

/**
 * Fails when a container of the app image sets a variable the app never reads and no other variable of
 * the container refers to (helpers such as REDIS_PASSWORD feed `$(REDIS_PASSWORD)`).
 */
export function checkVariablesRead(where: string, names: Iterable<string>, referenced: Set<string>, imageEnv: Readonly<Record<string, string>>): void {
  const unread = [...names].filter((n) => !KNOWN.has(n) && !referenced.has(n) && !(n in imageEnv) && !KNOWN_PREFIXES.some((p) => n.startsWith(p)));
  if (unread.length) {
    const hints = unread.map((n) => closest(n)).filter(Boolean);
    throw new WiringError(`${where}: sets ${unread.join(', ')}, which the app never reads${hints.length ? ` (did you mean ${hints.join(', ')}?)` : ''}`);
  }
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The variable the app reads that a misspelt name is closest to (within 3 edits). */
function closest(name: string): string | undefined {
  let best: [string, number] | undefined;
  for (const k of KNOWN) {
    const d = distance(name, k);
    if (d <= 3 && (!best || d < best[1])) best = [k, d];
  }
  return best?.[0];
}
