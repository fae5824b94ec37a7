import { Redis } from 'ioredis';
import { appKeys } from '../../services/src/lib/keys';
import { ArtifactStore } from '../../services/src/storage/artifact-store';
import { UploadStore, UploadTooLargeError } from '../../services/src/storage/upload-store';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const redis = new Redis(REDIS_URL);
let prefix: string;
beforeEach(() => {
  prefix = testPrefix('stores');
});
afterEach(() => deleteByPrefix(redis, prefix));
afterAll(() => redis.quit());

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

test('uploads stream in with a TTL, read back by ranges, and are refused past the size limit with nothing left', async () => {
  const store = new UploadStore(redis, prefix, { maxBytes: 10, ttlSeconds: 120 });
  expect(await store.write('a', chunks('hello ', 'you'))).toBe(9);
  expect(await redis.ttl(appKeys(prefix).upload('a'))).toBeGreaterThan(100);
  const read: Buffer[] = [];
  for await (const c of await store.open('a', 4)) read.push(c as Buffer);
  expect(read.map(String)).toEqual(['hell', 'o yo', 'u']);
  expect(String(await store.readRange('a', -3, -1))).toBe('you');

  await expect(store.write('b', chunks('123456', '7890', 'x'))).rejects.toThrow(UploadTooLargeError);
  expect(await redis.keys(`${prefix}:upload:b*`)).toEqual([]);
  expect(await store.size('b')).toBeNull();
});

test('artifacts carry metadata and expire one day after the retention as a backstop to cleanup', async () => {
  const now = new Date('2026-06-15T00:00:00Z');
  const store = new ArtifactStore(redis, prefix, { retentionDays: 7, maxBytes: 100 }, () => now);
  const meta = await store.put('r1', Buffer.from('%PDF-1.7'), { format: 'pdf', filename: 'r.pdf', job_id: 'j1' });
  expect(meta).toEqual({
    report_id: 'r1', format: 'pdf', content_type: 'application/pdf', filename: 'r.pdf', size_bytes: 8,
    created_at: '2026-06-15T00:00:00.000Z', expires_at: '2026-06-22T00:00:00.000Z', job_id: 'j1',
  });
  const ttl = await redis.pttl(appKeys(prefix).artifact('r1'));
  expect(ttl).toBeGreaterThan(7.9 * 86_400_000);
  expect(ttl).toBeLessThanOrEqual(8 * 86_400_000);
  expect(String((await store.get('r1'))!.body)).toBe('%PDF-1.7');
  await expect(store.put('r2', Buffer.alloc(101), { format: 'pdf', filename: 'x', job_id: 'j' })).rejects.toThrow(/REPORT_MAX_BYTES=100/);
});
