import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { checkingIntervalMs } from '../../services/src/lib/http-server';
import { startApiProcess, waitFor, type ApiHandle } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { median, roleEnv, WRITE_KEY } from './support';

jest.setTimeout(120_000);

// Short limits so the test runs in seconds; the defaults are 10 s, 300 s and 65 s.
const HEADERS_MS = 2000;
const REQUEST_MS = 4000;
const KEEP_ALIVE_MS = 3000;
/** Node keeps an idle socket this much past the advertised keep-alive timeout (server.keepAliveTimeoutBuffer). */
const KEEP_ALIVE_BUFFER_MS = 1000;
const CHECK_MS = checkingIntervalMs({ headersTimeoutMs: HEADERS_MS });
/** Scheduling delay allowed on 2 shared cores with a few hundred sockets open. */
const SLACK_MS = 1500;
const SLOW_HEADERS = 300;
const SLOW_BODIES = 20;
const IDLE = 20;

let prefix: string;
let api: ApiHandle;

beforeAll(async () => {
  prefix = testPrefix('f-slow');
  api = await startApiProcess(
    roleEnv(prefix, REDIS_URL, { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS), HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS) }),
  );
});
afterAll(async () => {
  await api?.proc.stop();
  const admin = new Redis(REDIS_URL);
  await deleteByPrefix(admin, prefix);
  await admin.quit();
});

interface Sample {
  readonly status: number;
  readonly ms: number;
}

/** One GET on a fresh connection (so accepting new connections is part of what is measured). */
function normalGet(path = '/api/v1/campaigns?limit=5'): Promise<Sample> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: api.port, path, agent: false, headers: { 'x-api-key': WRITE_KEY }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start }));
    req.end();
  });
}

/** A client that holds its connection: what it sent first and every `everyMs` after, until the server closes it. */
interface Held {
  readonly socket: Socket;
  /** ms from connecting (or from the end of the first response, for `idle`) until the server closed it */
  readonly closedAfter: Promise<number>;
  received(): string;
}

function hold(kind: 'headers' | 'body' | 'idle', everyMs = 300): Promise<Held> {
  return new Promise((resolveConnected) => {
    const socket = connect(api.port, '127.0.0.1');
    let data = '';
    let from = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    const closedAfter = new Promise<number>((resolve) => socket.once('close', () => {
      clearInterval(timer);
      resolve(performance.now() - from);
    }));
    socket.on('data', (d: string) => {
      data += d;
      // idle: the clock starts when the one complete response has arrived
      if (kind === 'idle' && from === 0 && /\r\n\r\n[\s\S]*\}$/.test(data)) from = performance.now();
    });
    socket.once('connect', () => {
      if (kind !== 'idle') from = performance.now();
      if (kind === 'headers') {
        // slowloris: a valid request line, then one more header line every `everyMs`, never the blank line
        socket.write('GET /api/v1/campaigns HTTP/1.1\r\nHost: pca.test\r\n');
        timer = setInterval(() => socket.writable && socket.write(`X-Slow-${Math.random().toString(36).slice(2, 8)}: 1\r\n`), everyMs);
      } else if (kind === 'body') {
        socket.write(`POST /api/v1/campaigns HTTP/1.1\r\nHost: pca.test\r\nX-API-Key: ${WRITE_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
        timer = setInterval(() => socket.writable && socket.write(' '), everyMs);
      } else {
        socket.write('GET /health HTTP/1.1\r\nHost: pca.test\r\n\r\n');
      }
      resolveConnected({ socket, closedAfter, received: () => data });
    });
  });
}

const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const summary = (xs: readonly number[]) => `median ${median(xs).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

test(`${SLOW_HEADERS} slow-header, ${SLOW_BODIES} slow-body and ${IDLE} idle connections: normal clients keep their latency, each slow one is closed at its limit`, async () => {
  for (let i = 0; i < 20; i++) await normalGet(); // warm-up
  const baseline: Sample[] = [];
  for (let i = 0; i < 100; i++) baseline.push(await normalGet());
  expect(baseline.every((s) => s.status === 200)).toBe(true);

  const slowHeaders = await Promise.all(Array.from({ length: SLOW_HEADERS }, () => hold('headers')));
  const slowBodies = await Promise.all(Array.from({ length: SLOW_BODIES }, () => hold('body')));
  const idle = await Promise.all(Array.from({ length: IDLE }, () => hold('idle')));
  const all = [...slowHeaders, ...slowBodies, ...idle];
  let open = all.length;
  for (const h of all) void h.closedAfter.then(() => open--);

  // Normal traffic, two clients in a loop, for as long as any slow connection is open.
  const during: Sample[] = [];
  const client = async () => {
    while (open > 0) during.push(await normalGet());
  };
  await Promise.all([client(), client(), waitFor('every slow connection closed by the server', () => open === 0, REQUEST_MS + SLACK_MS + 10_000, 50)]);

  const [headersClosed, bodiesClosed, idleClosed] = await Promise.all([slowHeaders, slowBodies, idle].map((group) => Promise.all(group.map((h) => h.closedAfter))));
  const base = baseline.map((s) => s.ms);
  const load = during.map((s) => s.ms);
  console.log(
    [
      `slow clients: ${SLOW_HEADERS} slow-header, ${SLOW_BODIES} slow-body, ${IDLE} idle keep-alive connections to one API process`,
      `  normal GET /api/v1/campaigns on a fresh connection, alone: ${summary(base)} (${base.length} requests)`,
      `  normal GET during the attack: ${summary(load)} (${load.length} requests, ${during.filter((s) => s.status !== 200).length} not 200)`,
      `  slow headers closed after ${summary(headersClosed!)} (HTTP_HEADERS_TIMEOUT_MS=${HEADERS_MS})`,
      `  slow bodies closed after ${summary(bodiesClosed!)} (HTTP_REQUEST_TIMEOUT_MS=${REQUEST_MS})`,
      `  idle keep-alive closed ${summary(idleClosed!)} after its response (HTTP_KEEP_ALIVE_TIMEOUT_MS=${KEEP_ALIVE_MS} + Node's ${KEEP_ALIVE_BUFFER_MS} ms buffer)`,
    ].join('\n'),
  );

  // Normal clients: every request answered, no cliff.
  expect(during.length).toBeGreaterThan(20);
  expect(during.filter((s) => s.status !== 200)).toEqual([]);
  expect(percentile(load, 95)).toBeLessThan(Math.max(5 * percentile(base, 95), percentile(base, 95) + 100));
  expect(Math.max(...load)).toBeLessThan(1000);

  // Slow clients: each closed by the server within its configured time (never early), with a 408 problem+json.
  for (const ms of headersClosed!) expect(ms).toBeGreaterThanOrEqual(HEADERS_MS - 50);
  for (const ms of headersClosed!) expect(ms).toBeLessThan(HEADERS_MS + CHECK_MS + SLACK_MS);
  for (const ms of bodiesClosed!) expect(ms).toBeGreaterThanOrEqual(REQUEST_MS - 50);
  for (const ms of bodiesClosed!) expect(ms).toBeLessThan(REQUEST_MS + CHECK_MS + SLACK_MS);
  for (const h of [...slowHeaders, ...slowBodies]) {
    expect(h.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*Content-Type: application\/problem\+json[\s\S]*"urn:pca-agent:problem:request_timeout"/);
  }
  // Idle keep-alive connections are not cut by the (shorter) headers timeout, only by the keep-alive one.
  for (const ms of idleClosed!) expect(ms).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
  for (const ms of idleClosed!) expect(ms).toBeLessThan(KEEP_ALIVE_MS + KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  for (const h of idle) expect(h.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Keep-Alive: timeout=3\r\n/);

  expect(api.proc.running).toBe(true);
  expect((await normalGet()).status).toBe(200);
});
