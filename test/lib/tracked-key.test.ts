import { Redis } from 'ioredis';
import { TrackedKey } from '../../services/src/lib/tracked-key';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { RedisServer } from '../helpers/redis-topologies';
import { sleep, waitFor } from '../helpers/wait';

// Long enough that within a test only an announcement (or a lost connection) can make a value be read again.
const NO_EXPIRY = { maxAgeMs: 60_000 };

// Real Redis throughout: the reads go through `reader` (its GETs are counted, not replaced), the changes
// are made by `writer`, another connection, as another replica would.
let reader: Redis;
let writer: Redis;
let prefix: string;
/** The TrackedKey a test opened, closed after it. */
let opened: TrackedKey | undefined;

beforeEach(() => {
  prefix = testPrefix('tracked');
  reader = new Redis(REDIS_URL, { connectionName: `${prefix}-reader` });
  writer = new Redis(REDIS_URL);
});

afterEach(async () => {
  await opened?.close();
  opened = undefined;
  await deleteByPrefix(writer, prefix);
  reader.disconnect();
  writer.disconnect();
});

const gets = () => jest.spyOn(reader, 'get');

/** `<prefix>:version` set to v1, read through a TrackedKey whose watch is up. */
async function watchedKey(opts = NO_EXPIRY): Promise<{ key: string; tracked: TrackedKey }> {
  const key = `${prefix}:version`;
  await writer.set(key, 'v1');
  const tracked = new TrackedKey(reader, key, opts);
  opened = tracked;
  await waitFor('the watch', () => tracked.watching);
  return { key, tracked };
}

test('a value read is served from memory until Redis announces that the key changed', async () => {
  const { key, tracked } = await watchedKey();
  const spy = gets();

  expect(await tracked.get()).toBe('v1');
  expect(await tracked.get()).toBe('v1');
  expect(spy).toHaveBeenCalledTimes(1);

  // another key under the same prefix is not announced: still no GET
  await writer.set(`${prefix}:other`, 'x');
  await sleep(100);
  expect(await tracked.get()).toBe('v1');
  expect(spy).toHaveBeenCalledTimes(1);

  await writer.set(key, 'v2');
  expect(await waitFor('the new value', async () => (await tracked.get()) === 'v2')).toBe(true);
  const after = spy.mock.calls.length;
  expect(await tracked.get()).toBe('v2');
  expect(spy).toHaveBeenCalledTimes(after);

  // a deleted key is a change too (null is a value: "no version yet")
  await writer.del(key);
  expect(await waitFor('the deletion', async () => (await tracked.get()) === null)).toBe(true);
});

test('invalidate() makes the next read a GET: the process reads its own writes without waiting for Redis', async () => {
  const { key, tracked } = await watchedKey();
  expect(await tracked.get()).toBe('v1');
  await reader.set(key, 'v2');
  tracked.invalidate();
  expect(await tracked.get()).toBe('v2');
});

test('maxAgeMs bounds how long a value is served without a GET', async () => {
  const { tracked } = await watchedKey({ maxAgeMs: 50 });
  const spy = gets();
  await tracked.get();
  await tracked.get();
  expect(spy).toHaveBeenCalledTimes(1);
  await sleep(80);
  await tracked.get();
  expect(spy).toHaveBeenCalledTimes(2);
});

test('a change made while the watching connection is gone is seen: the cache is dropped with the connection', async () => {
  const { key, tracked } = await watchedKey();
  expect(await tracked.get()).toBe('v1');

  // Redis forgets the connection and its tracking: the change below is announced to no one
  const list = (await writer.call('CLIENT', 'LIST')) as string;
  const line = list.split('\n').find((l) => l.includes(`name=${prefix}-reader-tracking `));
  expect(line).toBeDefined();
  const id = /\bid=(\d+)/.exec(line!)![1]!;
  await writer.call('CLIENT', 'KILL', 'ID', id);
  await writer.set(key, 'v2');

  expect(await waitFor('the change', async () => (await tracked.get()) === 'v2')).toBe(true);
  // and the watch comes back by itself
  await waitFor('the watch again', () => tracked.watching);
  const spy = gets();
  expect(await tracked.get()).toBe('v2');
  expect(await tracked.get()).toBe('v2');
  expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
});

test('a server that refuses CLIENT TRACKING leaves every read a GET, and the values right', async () => {
  const server = await RedisServer.start({ aof: false });
  const admin = server.client();
  try {
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>pw', '~*', '+@all', '-client|tracking');
    const limited = new Redis({ host: '127.0.0.1', port: server.port, username: 'app', password: 'pw' });
    const own = new TrackedKey(limited, 'v');
    try {
      await admin.set('v', '1');
      await sleep(200);
      expect(own.watching).toBe(false);
      const spy = jest.spyOn(limited, 'get');
      expect(await own.get()).toBe('1');
      await admin.set('v', '2');
      expect(await own.get()).toBe('2');
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      await own.close();
      limited.disconnect();
    }
  } finally {
    admin.disconnect();
    await server.close();
  }
});
