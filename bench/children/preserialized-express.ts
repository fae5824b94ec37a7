import { loadConfig } from '../../services/src/config/env';
import { baselineApp, serveBaseline } from './express-baseline';
import { seededPageBody } from './seeded-page';

/**
 * The ceiling for the list handler on Express: the same Express app as bare-express, sending the same
 * page of JSON serialized once at start, so bare-express over this is what the Redis read, the KPIs
 * and the serialization cost.
 */
async function main(): Promise<void> {
  const cfg = loadConfig();
  const body = await seededPageBody(cfg, 'bench-preserialized-express');
  const app = baselineApp();
  app.get('/api/v1/campaigns', (_req, res) => {
    res.set('Content-Type', 'application/json; charset=utf-8').send(body);
  });
  serveBaseline(app, cfg.PORT);
}

main().catch((err: unknown) => {
  process.stderr.write(`preserialized-express: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
