import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { campaignBody, FULL_KEY } from './helpers';
import { exitOf, freePort, waitFor } from '../helpers/processes';

const MAIN = join(__dirname, '../../dist/services/src/main.js');
const admin = new Redis(REDIS_URL);
let prefix: string;
let child: ChildProcess | undefined;
let output = '';

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
});
beforeEach(() => {
  prefix = testPrefix('shutdown');
  output = '';
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await deleteByPrefix(admin, prefix);
});
afterAll(() => admin.quit());

async function startApi(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  child = spawn(process.execPath, [MAIN, 'api'], {
    env: { PATH: process.env.PATH, REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS: FULL_KEY, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor('api to listen', async () => (await get(port, '/ready')).status === 200);
  return port;
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function collect(res: IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.on('data', (d: Buffer) => (body += d.toString()));
    res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    res.on('error', reject);
  });
}

function get(port: number, path: string, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: agent ?? false, timeout: 2000 }, (res) => void collect(res).then(resolve, reject));
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** A POST whose body arrives in two parts: the request stays in flight until `finish()`. */
function slowPost(port: number, body: string) {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/campaigns',
    agent: false,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-API-Key': FULL_KEY },
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => void collect(res).then(resolve, reject));
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { reply, finish: () => req.end(body.slice(half)) };
}

test('SIGTERM: ready 503 during the delay, in-flight requests complete, new connections refused, exit 0', async () => {
  const port = await startApi({ SHUTDOWN_DELAY_MS: '2000', SHUTDOWN_TIMEOUT_MS: '15000' });
  const keepAlive = new Agent({ keepAlive: true });
  expect((await get(port, '/health', keepAlive)).status).toBe(200); // leaves an idle keep-alive connection

  const first = slowPost(port, JSON.stringify(campaignBody({ id: 'in-flight-1' })));
  const second = slowPost(port, JSON.stringify(campaignBody({ id: 'in-flight-2' })));
  await new Promise((r) => setTimeout(r, 100));
  const signalled = Date.now();
  child!.kill('SIGTERM');

  // During the delay: not ready, but still serving new connections.
  await waitFor('/ready 503', async () => (await get(port, '/ready')).status === 503, 1500, 20);
  const during = await get(port, '/ready');
  expect(JSON.parse(during.body)).toEqual({ status: 'not_ready', reasons: ['shutting_down'] });
  expect(during.headers.connection).toBe('close');
  expect((await get(port, '/health')).status).toBe(200);
  expect(Date.now() - signalled).toBeLessThan(2000);
  first.finish();
  const firstReply = await first.reply;
  expect(firstReply.status).toBe(201);

  // After the delay the listener is closed, while the second request is still in flight.
  await waitFor('listener closed', async () => {
    try {
      await get(port, '/health');
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    }
  }, 3000, 50);
  expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
  expect(child!.exitCode).toBeNull();
  second.finish();
  const secondReply = await second.reply;
  expect(secondReply.status).toBe(201);
  expect(secondReply.headers.connection).toBe('close');

  expect(await exitOf(child!, 10_000)).toBe(0);
  keepAlive.destroy();
  expect(await admin.exists(`${prefix}:campaign:in-flight-1`, `${prefix}:campaign:in-flight-2`)).toBe(2);
  expect(output).toContain('"msg":"shutdown complete"');
  expect(output).not.toContain(FULL_KEY);
});

test('a request that never finishes cannot hold the process past SHUTDOWN_TIMEOUT_MS (exit 1)', async () => {
  const port = await startApi({ SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000' });
  const stuck = slowPost(port, JSON.stringify(campaignBody()));
  stuck.reply.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 100));
  const signalled = Date.now();
  child!.kill('SIGTERM');
  expect(await exitOf(child!, 10_000)).toBe(1);
  expect(Date.now() - signalled).toBeGreaterThanOrEqual(900);
  expect(output).toContain('shutdown deadline passed');
});

test('a second signal forces the exit at once (exit 1)', async () => {
  await startApi({ SHUTDOWN_DELAY_MS: '60000', SHUTDOWN_TIMEOUT_MS: '90000' });
  child!.kill('SIGTERM');
  // The second signal must come after the first was handled, whatever the machine's load.
  await waitFor('the first signal to start the shutdown', () => Promise.resolve(output.includes('shutdown started')));
  child!.kill('SIGINT');
  // Well inside the 60 s drain the first signal began: only the forced exit can end it this soon.
  expect(await exitOf(child!, 20_000)).toBe(1);
  expect(output).toContain('second signal: exiting now');
});
