import { loadConfig } from '../../services/src/config/env';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { createRedis } from '../../services/src/lib/redis';
import { baselineApp, serveBaseline } from './express-baseline';

/**
 * The baseline for the gateway: the campaigns list handler's work (CampaignStore.listJson, the same Redis
 * read, KPIs, the same JSON bytes, sent the same way) on an Express app with nothing else: no rate limit,
 * auth, validation, metrics, stats, logging or tracing.
 */
const cfg = loadConfig();
const redis = createRedis(cfg, 'request', 'bench-bare-express');
const store = new CampaignStore(redis, cfg.REDIS_KEY_PREFIX);
const ITEMS_OPEN = Buffer.from('{"items":');
const app = baselineApp();
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
serveBaseline(app, cfg.PORT, () => redis.quit());
