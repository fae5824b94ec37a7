import { Redis } from 'ioredis';
import { appKeys } from '../../services/src/lib/keys';
import { ScheduledRunRecorder } from '../../services/src/queues/scheduled-runs';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const redis = new Redis(REDIS_URL);
const prefix = testPrefix('scheduled-runs');
const stored = async () => Number(await redis.hget(appKeys(prefix).scheduledLastSuccess, 'health_check')) * 1000;
const T0 = Date.UTC(2026, 0, 1);

afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

test('a burst of successes writes once per interval; a later one, an earlier clock and another task always write', async () => {
  const recorder = new ScheduledRunRecorder(redis, prefix, 1000);
  await recorder.record('health_check', new Date(T0));
  expect(await stored()).toBe(T0);
  // Within the interval: the stored time may lag the newest success by less than a second.
  await recorder.record('health_check', new Date(T0 + 999));
  expect(await stored()).toBe(T0);
  await recorder.record('health_check', new Date(T0 + 1000));
  expect(await stored()).toBe(T0 + 1000);
  // A clock set back is written, not mistaken for a burst.
  await recorder.record('health_check', new Date(T0 - 60_000));
  expect(await stored()).toBe(T0 - 60_000);
  await recorder.record('backup_data', new Date(T0 + 1001));
  expect(Number(await redis.hget(appKeys(prefix).scheduledLastSuccess, 'backup_data'))).toBe((T0 + 1001) / 1000);
});

test('a write that failed is not remembered: the next success in the same interval writes', async () => {
  const client = new Redis(REDIS_URL, { enableOfflineQueue: false, lazyConnect: true });
  try {
    const recorder = new ScheduledRunRecorder(client, prefix, 1000);
    await expect(recorder.record('health_check', new Date(T0 + 5000))).rejects.toThrow();
    // The refused command started the lazy connection.
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    await recorder.record('health_check', new Date(T0 + 5100));
    expect(await stored()).toBe(T0 + 5100);
  } finally {
    client.disconnect();
  }
});
