import { loadConfig } from '../../services/src/config/env';
import { createRedis } from '../../services/src/lib/redis';
import { baselineApp, serveBaseline } from './express-baseline';
import { seededPageBody } from './seeded-page';

/**
 * The floor for a list handler that reads Redis per request: the same Express app, sending the same page
 * that it fetches, already serialized, with one GET per request over the same kind of connection. No
 * handler can answer from Redis for less; bare-express over this is what the store's page costs beyond
 * one round trip.
 */
async function main(): Promise<void> {
  const cfg = loadConfig();
  const body = await seededPageBody(cfg, 'bench-one-round-trip-express');
  const redis = createRedis(cfg, 'request', 'bench-one-round-trip-express');
  const key = `${cfg.REDIS_KEY_PREFIX}:bench:page`;
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  await redis.set(key, body);
  const app = baselineApp();
  app.get('/api/v1/campaigns', async (_req, res, next) => {
    try {
      const page = await redis.getBuffer(key);
      res.set('Content-Type', 'application/json; charset=utf-8').send(page);
    } catch (err) {
      next(err);
    }
  });
  serveBaseline(app, cfg.PORT, () => redis.quit());
}

main().catch((err: unknown) => {
  process.stderr.write(`one-round-trip-express: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
