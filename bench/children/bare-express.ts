import { loadConfig } from '../../services/src/config/env';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { createRedis } from '../../services/src/lib/redis';
import { baselineApp, serveBaseline } from './express-baseline';

/**
 * The baseline for the gateway: the campaigns list handler's work (CampaignStore.listJson with the store
 * version tracked as the API tracks it, the same Redis reads, KPIs, the same JSON bytes, sent the same way)
 * on an Express app with nothing else: no rate limit, auth, validation, metrics, stats, logging or tracing.
 */
const cfg = loadConfig();
const redis = createRedis(cfg, 'request', 'bench-bare-express');
// as the API builds it (createApp): the held page is checked against the tracked store version
const store = new CampaignStore(redis, cfg.REDIS_KEY_PREFIX, undefined, { trackVersion: true });
const app = baselineApp();
app.get('/api/v1/campaigns', async (req, res, next) => {
  try {
    const limit = Number(req.query.limit ?? 20);
    const page = await store.listJson({ sort: 'start_date', order: 'desc', limit }, new Date());
    res.set('Content-Type', 'application/json; charset=utf-8');
    res.send(page.body);
  } catch (err) {
    next(err);
  }
});
serveBaseline(app, cfg.PORT, async () => {
  await store.close();
  await redis.quit();
});
