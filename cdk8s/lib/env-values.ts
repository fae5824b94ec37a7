import { z } from 'zod';
import { envDefault, envSchema, type Config } from '../../services/src/config/env';
import type { Json } from './helm/template';
import type { BlockNode, JsonSchema, LeafNode } from './helm/values-definition';

export type EnvName = keyof Config;

/** Marks a values node as the chart's form of one environment variable (see `envSettings`). */
export const ENV = Symbol('env');
export type EnvNode = (LeafNode<string> | LeafNode<number> | LeafNode<boolean> | BlockNode) & { readonly [ENV]: EnvName };
/** Lists are blocks (`toYaml`, `join`); everything else is a leaf with a typed reference. */
export type EnvNodeFor<K extends EnvName> = (Config[K] extends readonly unknown[] ? BlockNode : LeafNode<string> | LeafNode<number> | LeafNode<boolean>) & {
  readonly [ENV]: K;
};

export interface FromEnvOptions {
  /** A chart default that differs from the app's (say why in `description`). @default the env schema's */
  readonly default?: string | number | boolean;
  /** @default the env schema's description */
  readonly description?: string;
}

const BOOL_INPUTS = ['0', '1', 'true', 'false', 'yes', 'no'];

/** The input JSON schema zod derives for one variable (what a process would accept as its value). */
function inputSchema(name: EnvName): { [k: string]: unknown } {
  const s = z.toJSONSchema(envSchema.shape[name], { io: 'input', unrepresentable: 'any' }) as { [k: string]: unknown };
  const { $schema: _drop, default: _default, description: _description, ...rest } = s;
  return rest;
}

/**
 * A values leaf for one environment variable, derived from the env schema: type, bounds, pattern and
 * enum from zod, the default from `envDefault`, the description from `.describe()`. Lists become string
 * arrays (rendered comma-joined), the yes/no enum a boolean, optional variables an empty/null default
 * that leaves the variable unset.
 */
export function fromEnv<K extends EnvName>(name: K, opts: FromEnvOptions = {}): EnvNodeFor<K> {
  return envNode(name, opts) as EnvNodeFor<K>;
}

function envNode(name: EnvName, opts: FromEnvOptions): EnvNode {
  const field = envSchema.shape[name];
  const description = opts.description ?? field.description;
  if (!description) throw new Error(`${name} has no .describe() in services/src/config/env.ts`);
  const schema = inputSchema(name);
  const appDefault = envDefault(name) as unknown;
  if (Array.isArray(appDefault)) {
    const node: BlockNode = { kind: 'block', default: appDefault as Json, description, schema: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^[^,]*$' } } };
    return { ...node, [ENV]: name };
  }
  if (Array.isArray(schema.enum) && schema.enum.length === BOOL_INPUTS.length && BOOL_INPUTS.every((b) => (schema.enum as unknown[]).includes(b))) {
    const def = (opts.default ?? appDefault) as boolean;
    return { kind: 'leaf', type: 'boolean', default: def, description, schema: { type: 'boolean' }, [ENV]: name };
  }
  if (schema.type === 'integer') {
    const def = (opts.default ?? appDefault) as number | undefined;
    if (def === undefined) {
      // Optional with no default (e.g. a per-queue override): null leaves the variable unset.
      const nullable: JsonSchema = { anyOf: [{ type: 'null' }, schema as JsonSchema] };
      return { kind: 'leaf', type: 'integer', default: null as unknown as number, description: `${description} (null: unset)`, schema: nullable, [ENV]: name };
    }
    return { kind: 'leaf', type: 'integer', default: def, description, schema: schema as JsonSchema, [ENV]: name };
  }
  const def = (opts.default ?? appDefault ?? '') as string;
  const str: JsonSchema = { ...(schema as JsonSchema), type: 'string' };
  delete str.format; // JSON-schema formats are not what the app checks; the app validates at start-up
  if (appDefault === undefined && typeof str.pattern === 'string') str.pattern = `(^$)|(${str.pattern})`;
  return { kind: 'leaf', type: 'string', default: def, description: appDefault === undefined ? `${description} (empty: unset)` : description, schema: str, [ENV]: name };
}

export function isEnvNode(node: unknown): node is EnvNode {
  return typeof node === 'object' && node !== null && ENV in node;
}

/**
 * Variables the chart does not take from values, each with the reason. Together with the `fromEnv`
 * leaves of the values definition they must cover the env schema exactly (test/chart/env-values.test.ts).
 */
export const CHART_SET: Partial<Record<EnvName, string>> = {
  NODE_ENV: 'always production in the cluster',
  REDIS_URL: 'from the embedded Redis Service or externalRedis (url / existingSecret)',
  REDIS_USERNAME: 'from externalRedis (url / existingSecret)',
  REDIS_PASSWORD: 'from the Redis Secret (redis.existingSecret / externalRedis.existingSecret)',
  REDIS_SENTINELS: 'externalRedis.sentinel.hosts, when externalRedis.sentinel.enabled',
  REDIS_SENTINEL_NAME: 'externalRedis.sentinel.masterSet, when externalRedis.sentinel.enabled',
  REDIS_SENTINEL_USERNAME: 'externalRedis.sentinel.username, when externalRedis.sentinel.enabled',
  REDIS_SENTINEL_PASSWORD: 'externalRedis.sentinel.existingSecret (key externalRedis.sentinel.passwordKey)',
  REDIS_SENTINEL_TLS: 'unset: the sentinels speak TLS when the primary does, as KEDA\'s redis-sentinel scaler assumes (one TLS setting for both)',
  REDIS_CLUSTER_NODES: 'externalRedis.cluster.nodes, when externalRedis.cluster.enabled',
  PORT: 'the API containerPort the Service and probes use',
  WORKER_HTTP_PORT: 'the worker containerPort the Service, probes and KEDA use',
  DASHBOARD_PORT: 'the dashboard containerPort the Service and probes use',
  SCHEDULER_ENABLED: 'false: the CronJobs run the schedules',
  TASK_RUN_ID: "per CronJob pod: its Job's name (downward API label batch.kubernetes.io/job-name)",
  BLOB_FS_DIR: 'the mount path of the artifacts PVC (artifacts.backend=filesystem)',
  API_KEYS: 'auth Secret (auth.apiKeys, or auth.existingSecret key API_KEYS)',
  API_KEYS_READ_ONLY: 'auth Secret (auth.readOnlyApiKeys, or auth.existingSecret key API_KEYS_READ_ONLY)',
  JWT_SECRET: 'auth Secret (generated, or auth.existingSecret key JWT_SECRET)',
  DASHBOARD_USERNAME: 'dashboard Secret (dashboard.username, or dashboard.existingSecret)',
  DASHBOARD_PASSWORD: 'dashboard Secret (generated, or dashboard.existingSecret)',
};
