import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { validate } from '../../services/src/api/gateway/validate';

/** Just what validate reads: the URL, Express's parsed query (counted), and res.locals. */
function call(handler: ReturnType<typeof validate>, url: string, parsedQuery: Record<string, string>) {
  let reads = 0;
  const req = {
    url,
    get query() {
      reads++;
      return parsedQuery;
    },
  } as unknown as Request;
  const res = { locals: {} } as Response;
  let error: unknown;
  handler(req, res, ((err?: unknown) => (error = err)) as NextFunction);
  return { input: (res.locals as { input?: { query: unknown } }).input, error, reads };
}

describe('validate: remembered queries', () => {
  const schema = z.strictObject({ limit: z.coerce.number().int().min(1).default(20), tags: z.array(z.string()).optional() });

  it('parses a query string once; later requests with it get the same frozen result', () => {
    const handler = validate({ query: schema });
    const first = call(handler, '/items?limit=5', { limit: '5' });
    const second = call(handler, '/items?limit=5', { limit: '5' });
    expect(first.input!.query).toEqual({ limit: 5 });
    expect(first.reads).toBe(1);
    expect(second.reads).toBe(0);
    expect(second.input!.query).toBe(first.input!.query);
    expect(Object.isFrozen(second.input!.query)).toBe(true);
  });

  it('never remembers a refused query, and keeps routes apart', () => {
    const handler = validate({ query: schema });
    for (let i = 0; i < 2; i++) {
      const bad = call(handler, '/items?limit=0', { limit: '0' });
      expect(bad.error).toMatchObject({ status: 400 });
      expect(bad.reads).toBe(1);
    }
    const other = validate({ query: z.strictObject({ limit: z.coerce.number().max(3) }) });
    expect(call(other, '/others?limit=5', { limit: '5' }).error).toMatchObject({ status: 400 });
  });

  it('freezes nested values too, and parses long query strings every time', () => {
    const handler = validate({ query: schema });
    const tags = call(handler, '/items?tags=a', { tags: ['a'] } as unknown as Record<string, string>);
    expect(Object.isFrozen((tags.input!.query as { tags: string[] }).tags)).toBe(true);
    const long = `/items?limit=5&pad=${'x'.repeat(600)}`;
    const lenient = validate({ query: z.object({ limit: z.coerce.number() }) });
    call(lenient, long, { limit: '5', pad: 'x' });
    expect(call(lenient, long, { limit: '5', pad: 'x' }).reads).toBe(1);
  });
});
