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
  return (req, res, next) => {
    const errors: FieldError[] = [];
    const input: { params?: unknown; query?: unknown; body?: unknown } = {};
    for (const location of ['params', 'query', 'body'] as const) {
      const schema = opts[location];
      if (!schema) continue;
      const raw: unknown = location === 'body' ? (req.body as unknown) : { ...(req[location] as object) };
      const parsed = schema.safeParse(raw);
      if (parsed.success) {
        input[location] = parsed.data;
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
