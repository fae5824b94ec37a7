import express from 'express';
import { loadConfig } from '../../services/src/config/env';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { createRedis } from '../../services/src/lib/redis';
import type { ChildMessage } from '../child-process';

/**
 * The baseline for the gateway: the campaigns list handler's work (CampaignStore.listJson, the same Redis
 * read, KPIs, the same JSON bytes, sent the same way) on an Express app with nothing else: no rate limit,
 * auth, validation, metrics, stats, logging or tracing.
 */
const cfg = loadConfig();
const redis = createRedis(cfg, 'request', 'bench-bare-express');
const store = new CampaignStore(redis, cfg.REDIS_KEY_PREFIX);
const ITEMS_OPEN = Buffer.from('{"items":');
const app = express();
app.set('x-powered-by', false);
app.set('etag', false);
app.get('/api/v1/campaigns', async (req, res, next) => {
  try {
    const limit = Number(req.query.limit ?? 20);
    const page = await store.listJson({ sort: 'start_date', order: 'desc', limit }, new Date());
    res.set('Content-Type', 'application/json; charset=utf-8');
    res.send(Buffer.concat([ITEMS_OPEN, page.items, Buffer.from(`,"next_cursor":${JSON.stringify(page.next_cursor)},"limit":${limit}}`)]));
  } catch (err) {
    next(err);
  }
});
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});
const server = app.listen(cfg.PORT, '127.0.0.1');
process.on('message', (m: ChildMessage) => {
  if (m.kind === 'stop') server.close(() => void redis.quit().finally(() => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
