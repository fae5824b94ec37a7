import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildMessage } from '../child-process';

/** An OTLP/HTTP receiver that accepts and discards every export, counting requests and bytes. */
let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ kind: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('message', (m: ChildMessage) => {
  if (m.kind === 'stats') process.send?.({ kind: 'stats', requests, bytes });
  if (m.kind === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
