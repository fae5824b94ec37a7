import express, { type Express } from 'express';
import type { ChildMessage } from '../child-process';

/** The Express app every Express baseline uses: nothing but the route it adds (no x-powered-by, no ETag). */
export function baselineApp(): Express {
  const app = express();
  app.set('x-powered-by', false);
  app.set('etag', false);
  return app;
}

/** Adds /health, listens on 127.0.0.1:port, and on the bench's `stop` closes the server, then `onStop`. */
export function serveBaseline(app: Express, port: number, onStop: () => Promise<unknown> = async () => undefined): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = app.listen(port, '127.0.0.1');
  process.on('message', (m: ChildMessage) => {
    if (m.kind === 'stop') server.close(() => void onStop().finally(() => process.exit(0)));
  });
  process.on('disconnect', () => process.exit(0));
}
