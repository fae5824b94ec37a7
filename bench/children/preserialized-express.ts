import express from 'express';
import { loadConfig } from '../../services/src/config/env';
import type { ChildMessage } from '../child-process';
import { seededPageBody } from './seeded-page';

/**
 * The ceiling for the list handler on Express: the same Express app as bare-express, sending the same
 * page of JSON serialized once at start, so bare-express over this is what the Redis read, the KPIs
 * and the serialization cost.
 */
async function main(): Promise<void> {
  const cfg = loadConfig();
  const body = await seededPageBody(cfg, 'bench-preserialized-express');
  const app = express();
  app.set('x-powered-by', false);
  app.set('etag', false);
  app.get('/api/v1/campaigns', (_req, res) => {
    res.set('Content-Type', 'application/json; charset=utf-8').send(body);
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = app.listen(cfg.PORT, '127.0.0.1');
  process.on('message', (m: ChildMessage) => {
    if (m.kind === 'stop') server.close(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`preserialized-express: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
