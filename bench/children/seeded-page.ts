import type { Config } from '../../services/src/config/env';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { campaignKpis, roundKpis } from '../../services/src/domain/kpi';
import { createRedis } from '../../services/src/lib/redis';

/** The gateway's first page of campaigns as JSON, read from Redis once: what the from-memory ceilings send. */
export async function seededPageBody(cfg: Config, name: string): Promise<Buffer> {
  const redis = createRedis(cfg, 'request', name);
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const page = await new CampaignStore(redis, cfg.REDIS_KEY_PREFIX).list({ sort: 'start_date', order: 'desc', limit: 20 });
  await redis.quit();
  const now = new Date();
  return Buffer.from(JSON.stringify({ items: page.items.map((c) => ({ ...c, kpis: roundKpis(campaignKpis(c, now)) })), next_cursor: page.next_cursor, limit: 20 }));
}
