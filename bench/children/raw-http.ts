import { createServer } from 'node:http';
import { loadConfig } from '../../services/src/config/env';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { campaignKpis, roundKpis } from '../../services/src/domain/kpi';
import { createRedis } from '../../services/src/lib/redis';
import type { ChildMessage } from '../child-process';

/** The ceiling: node:http answering with the same page of JSON, read from Redis once at start. */
async function main(): Promise<void> {
  const cfg = loadConfig();
  const redis = createRedis(cfg, 'request', 'bench-raw-http');
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const page = await new CampaignStore(redis, cfg.REDIS_KEY_PREFIX).list({ sort: 'start_date', order: 'desc', limit: 20 });
  await redis.quit();
  const now = new Date();
  const body = Buffer.from(
    JSON.stringify({ items: page.items.map((c) => ({ ...c, kpis: roundKpis(campaignKpis(c, now)) })), next_cursor: page.next_cursor, limit: 20 }),
  );
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/campaigns') || req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(cfg.PORT, '127.0.0.1');
  process.on('message', (m: ChildMessage) => {
    if (m.kind === 'stop') server.close(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`raw-http: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
