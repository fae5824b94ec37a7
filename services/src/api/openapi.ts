import { z } from 'zod';
import type { Scope } from './gateway/auth';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  readonly description: string;
  /** Response body schema (output side of the zod schema). */
  readonly schema?: z.ZodType;
  /** @default 'application/json' when `schema` is set */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One route as the validator and the OpenAPI document both see it: a single source for both. */
export interface RouteSpec {
  readonly method: HttpMethod;
  /** Express path template, e.g. `/api/v1/campaigns/:id`; it is also the metrics `route` label. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Scope the caller needs; `null` for a public route. */
  readonly scope: Scope | null;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** @default 'application/json' */
  readonly bodyType?: 'application/json' | 'multipart/form-data';
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  request_id: z.string().optional().describe('the X-Request-Id of the request; absent only when it failed before the gateway stamped one'),
  errors: z
    .array(z.object({ field: z.string(), message: z.string(), location: z.enum(['body', 'query', 'params', 'headers']).optional() }))
    .optional(),
});

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input');
  const required = new Set(js.required ?? []);
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s as { description?: string };
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

const PROBLEM_RESPONSES: Record<number, string> = {
  400: 'Invalid parameters, query or body (problem+json naming each field)',
  401: 'Missing or invalid credentials',
  403: 'The credentials lack the needed scope',
  429: 'Rate limit exceeded; see Retry-After',
  503: 'The data store is not reachable',
};

/**
 * Routes register here as they are defined; `/api/openapi.json` is generated from the same zod
 * schemas the validator runs, so the document cannot drift from the code.
 */
export class OpenApiRegistry {
  private readonly specs: RouteSpec[] = [];
  private readonly matchers: { method: string; path: string; re: RegExp }[] = [];

  register(spec: RouteSpec): void {
    if (this.specs.some((s) => s.method === spec.method && s.path === spec.path)) {
      throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} is registered twice`);
    }
    this.specs.push(spec);
    const pattern = spec.path
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    this.matchers.push({ method: spec.method.toUpperCase(), path: spec.path, re: new RegExp(`^${pattern}/?$`) });
  }

  /**
   * The template a request would have reached, for requests refused before routing (401, 429), so
   * metrics and stats can still label them by route. First registered wins, as in Express.
   */
  templateFor(method: string, path: string): string | undefined {
    const m = method === 'HEAD' ? 'GET' : method;
    return this.matchers.find((x) => x.method === m && x.re.test(path))?.path;
  }

  get routes(): readonly RouteSpec[] {
    return this.specs;
  }

  document(info: { title: string; version: string; description?: string }, servers: readonly { url: string; description?: string }[] = []): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.specs) {
      const responses: Record<string, unknown> = {};
      for (const [status, r] of Object.entries(spec.responses)) {
        responses[status] = {
          description: r.description,
          ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
          ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') } } } : {}),
        };
      }
      const errorStatuses = [400, 503, ...(spec.scope ? [401, 403, 429] : [])];
      for (const status of errorStatuses) {
        if (status === 400 && !spec.params && !spec.query && !spec.body) continue;
        responses[status] ??= { description: PROBLEM_RESPONSES[status], content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      }
      const operation: Record<string, unknown> = {
        operationId: `${spec.method}${toOpenApiPath(spec.path).replace(/[{}]/g, '').split(/[/-]/).map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : '')).join('')}`,
        summary: spec.summary,
        ...(spec.description ? { description: spec.description } : {}),
        ...(spec.tags ? { tags: spec.tags } : {}),
        security: spec.scope ? [{ ApiKeyAuth: [] }, { BearerAuth: [spec.scope] }] : [],
        parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
        ...(spec.body
          ? { requestBody: { required: true, content: { [spec.bodyType ?? 'application/json']: { schema: jsonSchema(spec.body, 'input') } } } }
          : {}),
        responses,
      };
      (paths[toOpenApiPath(spec.path)] ??= {})[spec.method] = operation;
    }
    return {
      openapi: '3.1.0',
      info,
      ...(servers.length ? { servers } : {}),
      paths,
      components: {
        schemas: { Problem: jsonSchema(problemSchema, 'output') },
        securitySchemes: {
          ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A key from API_KEYS (read+write) or API_KEYS_READ_ONLY (read)' },
          BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT with scope "read" and/or "write" (or an API key as the bearer token)' },
        },
      },
    };
  }
}
