import { createServer } from 'node:http';
import { loadConfig } from '../../services/src/config/env';
import type { ChildMessage } from '../child-process';
import { seededPageBody } from './seeded-page';

/** The ceiling: node:http answering with the same page of JSON, read from Redis once at start. */
async function main(): Promise<void> {
  const cfg = loadConfig();
  const body = await seededPageBody(cfg, 'bench-raw-http');
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
