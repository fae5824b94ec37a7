import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { ConfigError, envDefault, loadConfig } from '../../services/src/config/env';
import { checkingIntervalMs, createHttpServer, httpServerLimits, type HttpServerOptions } from '../../services/src/lib/http-server';
import { createLogger } from '../../services/src/lib/logger';
import { LogCapture } from '../api/helpers';
import { waitFor } from '../helpers/processes';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const LIMITS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 65_000, maxConnections: 100 };

async function serve(opts: Partial<HttpServerOptions> = {}): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((_req, res) => res.end('ok'), { ...LIMITS, ...opts });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** A raw connection that records everything the server sends and when it closed. */
async function raw(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let data = '';
  socket.setEncoding('utf8').on('data', (d: string) => (data += d));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  return { socket, received: () => data, closed };
}

test('the schema defaults: 10 s for headers, 300 s for a whole request, 65 s keep-alive, 1000 connections', () => {
  expect(httpServerLimits(loadConfig({}))).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 65_000, maxConnections: 1000 });
  expect(envDefault('HTTP_KEEP_ALIVE_TIMEOUT_MS')).toBeGreaterThan(60_000);
  // a 20 MB upload at 0.6 Mbit/s fits in the default request timeout
  expect((envDefault('UPLOAD_MAX_BYTES') * 8) / 600_000).toBeLessThan(envDefault('HTTP_REQUEST_TIMEOUT_MS') / 1000);
});

test('bad limits stop start-up with the variable named', () => {
  const issue = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as ConfigError).issues[0];
    }
    return undefined;
  };
  expect(issue({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toMatchObject({ variable: 'HTTP_HEADERS_TIMEOUT_MS', message: expect.stringContaining('HTTP_REQUEST_TIMEOUT_MS') });
  expect(issue({ HTTP_MAX_CONNECTIONS: '0' })?.variable).toBe('HTTP_MAX_CONNECTIONS');
  expect(issue({ HTTP_HEADERS_TIMEOUT_MS: '10' })?.variable).toBe('HTTP_HEADERS_TIMEOUT_MS');
  expect(issue({ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' })?.variable).toBe('HTTP_KEEP_ALIVE_TIMEOUT_MS');
  expect(() => createHttpServer(() => undefined, { ...LIMITS, headersTimeoutMs: 3000 })).toThrow(/headersTimeoutMs \(3000\) must not exceed requestTimeoutMs \(2000\)/);
});

test('the server carries the limits, checked at a tenth of the headers timeout (at most every second)', async () => {
  const { server } = await serve();
  expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.maxConnections]).toEqual([1000, 2000, 65_000, 100]);
  expect(checkingIntervalMs({ headersTimeoutMs: 1000 })).toBe(100);
  expect(checkingIntervalMs({ headersTimeoutMs: 60_000 })).toBe(1000);
});

test('headers that never finish get a 408 problem+json and the connection is closed', async () => {
  const { port } = await serve();
  const c = await raw(port);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await c.closed;
  expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  expect(c.received()).toContain('Content-Type: application/problem+json');
  expect(JSON.parse(c.received().split('\r\n\r\n')[1]!)).toEqual({
    type: 'urn:pca-agent:problem:request_timeout',
    title: 'Request Timeout',
    status: 408,
    detail: 'the request headers or body did not arrive in time',
  });
});

test('unparsable HTTP is a 400 problem+json, oversize headers a 431', async () => {
  const { port } = await serve();
  const junk = await raw(port);
  junk.socket.write('HELLO THERE\r\n\r\n');
  await junk.closed;
  expect(junk.received()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"urn:pca-agent:problem:bad_request"/);
  const big = await raw(port);
  big.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  await big.closed;
  expect(big.received()).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n[\s\S]*"status":431/);
});

test('past maxConnections new connections are closed at once and logged; a freed slot serves again', async () => {
  const logs = new LogCapture();
  const logger = createLogger({ service: 'test', pretty: false, destination: logs });
  const { server, port } = await serve({ maxConnections: 2, logger });
  const held = [await raw(port), await raw(port)];
  await waitFor('two connections open', async () => (await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) === 2);
  const refused = await raw(port);
  await refused.closed;
  expect(refused.received()).toBe('');
  await waitFor('the refusal logged', () => logs.lines.length === 1);
  expect(JSON.parse(logs.lines[0]!)).toMatchObject({ level: 'warn', max_connections: 2, dropped: 1, msg: 'connections refused: HTTP_MAX_CONNECTIONS are open' });
  held[0]!.socket.destroy();
  await waitFor('one connection left', async () => (await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) === 1);
  const served = await raw(port);
  served.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await served.closed;
  expect(served.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/);
});
