import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { ApiError, type FieldError } from '../errors';

export interface ValidateOptions {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
}

/** What `validate` leaves in `res.locals.input`: the parsed (coerced, defaulted) values. */
export interface ValidatedInput<P = unknown, Q = unknown, B = unknown> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
}

/**
 * Validates params, query and body with zod and stores the parsed values in `res.locals.input`.
 * Any failure is one 400 problem+json listing every bad field with its location.
 */
export function validate(opts: ValidateOptions): RequestHandler {
  const queries = new ParsedQueries();
  return (req, res, next) => {
    const errors: FieldError[] = [];
    const input: { params?: unknown; query?: unknown; body?: unknown } = {};
    for (const location of ['params', 'query', 'body'] as const) {
      const schema = opts[location];
      if (!schema) continue;
      const rawQuery = location === 'query' ? queryString(req.url) : undefined;
      const known = rawQuery === undefined ? undefined : queries.get(rawQuery);
      if (known !== undefined) {
        input.query = known;
        continue;
      }
      const raw: unknown = location === 'body' ? (req.body as unknown) : { ...(req[location] as object) };
      const parsed = schema.safeParse(raw);
      if (parsed.success) {
        input[location] = rawQuery === undefined ? parsed.data : queries.set(rawQuery, parsed.data);
        continue;
      }
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String);
        // Unknown keys are reported one field each, so the client sees their names.
        const names = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...path, k]) : [path];
        for (const p of names) {
          errors.push({ location, field: p.length ? p.join('.') : location, message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message });
        }
      }
    }
    if (errors.length) {
      return next(new ApiError(400, 'validation_failed', `invalid ${[...new Set(errors.map((e) => e.location))].join(', ')}: ${errors.map((e) => e.field).join(', ')}`, errors));
    }
    // A location without a schema is left undefined: the handler's types say it has none.
    res.locals.input = { params: input.params, query: input.query, body: input.body };
    next();
  };
}

const queryString = (url: string) => {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
};

/** Query strings remembered per route; past this the cache starts over (a flood of distinct queries costs no memory). */
const MAX_PARSED_QUERIES = 256;
/** Longer query strings are parsed every time: they are rarely repeated and would pin memory. */
const MAX_CACHED_QUERY_LENGTH = 512;

/**
 * A route's valid queries by their raw string: parsing and validating the same `?limit=20&sort=-name`
 * (Express's query parser, then zod) on every request was a visible share of a list request's CPU, and
 * the result depends on the string alone. Values are frozen, because every request with that string
 * shares the object.
 */
class ParsedQueries {
  private readonly byString = new Map<string, unknown>();

  get(raw: string): unknown {
    return this.byString.get(raw);
  }

  set(raw: string, parsed: unknown): unknown {
    if (raw.length > MAX_CACHED_QUERY_LENGTH) return parsed;
    if (this.byString.size >= MAX_PARSED_QUERIES) this.byString.clear();
    const frozen = deepFreeze(parsed);
    this.byString.set(raw, frozen);
    return frozen;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
