import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { chain } from '../../services/src/api/gateway/chain';

/** An app whose one layer is `chain(handlers)`, with a route after it and an error handler that names the error. */
function appWith(handlers: RequestHandler[]) {
  const app = express();
  app.use(chain(handlers));
  app.get('/after', (_req, res) => {
    res.json({ reached: true, seen: res.locals.seen ?? [] });
  });
  app.use(((err: Error, _req, res, _next) => {
    res.status(500).json({ error: err.message, seen: res.locals.seen ?? [] });
  }) as express.ErrorRequestHandler);
  return app;
}

const mark =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.seen = [...((res.locals.seen as string[] | undefined) ?? []), name];
    next();
  };

describe('chain', () => {
  it('runs the handlers in order, then the rest of the app', async () => {
    const res = await request(appWith([mark('a'), mark('b'), mark('c')])).get('/after');
    expect(res.body).toEqual({ reached: true, seen: ['a', 'b', 'c'] });
  });

  it('a handler that answers stops the chain and the app', async () => {
    const res = await request(appWith([mark('a'), (_req, res) => void res.status(401).json({ stopped: true }), mark('never')])).get('/after');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ stopped: true });
  });

  it('next(err), a throw and a rejected promise all reach the error handler, and nothing after them runs', async () => {
    const failing: RequestHandler[] = [
      (_req, _res, next) => next(new Error('passed')),
      () => {
        throw new Error('thrown');
      },
      async () => {
        await Promise.resolve();
        throw new Error('rejected');
      },
    ];
    for (const [i, handler] of failing.entries()) {
      const res = await request(appWith([mark('a'), handler, mark('never')])).get('/after');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: ['passed', 'thrown', 'rejected'][i], seen: ['a'] });
    }
  });

  it('a handler that calls next later (after I/O) continues the chain then', async () => {
    const later: RequestHandler = (_req, res, next) => {
      setTimeout(() => {
        mark('later')(_req, res, next);
      }, 5);
    };
    const res = await request(appWith([mark('a'), later, mark('b')])).get('/after');
    expect(res.body).toEqual({ reached: true, seen: ['a', 'later', 'b'] });
  });

  it('an empty chain and a chain of one are just the rest of the app', async () => {
    expect((await request(appWith([])).get('/after')).body).toEqual({ reached: true, seen: [] });
    expect((await request(appWith([mark('only')])).get('/after')).body).toEqual({ reached: true, seen: ['only'] });
  });
});
