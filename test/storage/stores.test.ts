import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { appKeys } from '../../services/src/lib/keys';
import { ArtifactStore } from '../../services/src/storage/artifact-store';
import { readAll } from '../../services/src/storage/blob-store';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { UploadStore, UploadTooLargeError } from '../../services/src/storage/upload-store';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const redis = new Redis(REDIS_URL);
let prefix: string;
let dir: string;
let blobs: FsBlobStore;
beforeEach(async () => {
  prefix = testPrefix('stores');
  dir = await mkdtemp(join(tmpdir(), 'stores-'));
  blobs = new FsBlobStore(dir);
});
afterEach(async () => {
  await deleteByPrefix(redis, prefix);
  await rm(dir, { recursive: true, force: true });
});
afterAll(() => redis.quit());

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

async function keysUnder(p: string): Promise<string[]> {
  return redis.keys(`${p}:*`);
}

test('uploads stream into the blob store, read back by ranges, and are refused past the size limit with nothing left', async () => {
  const store = new UploadStore(blobs, prefix, { maxBytes: 10, ttlSeconds: 120 });
  expect(await store.write('a', chunks('hello ', 'you'))).toBe(9);
  expect(await store.size('a')).toBe(9);
  expect(String(await readAll(await store.open('a')))).toBe('hello you');
  expect(String(await store.readRange('a', -3, -1))).toBe('you');
  expect(String(await store.readRange('a', 0, 3))).toBe('hell');
  // the queue Redis holds none of it
  expect(await keysUnder(prefix)).toEqual([]);

  await expect(store.write('b', chunks('123456', '7890', 'x'))).rejects.toThrow(UploadTooLargeError);
  expect(await store.size('b')).toBeNull();
});

test('an upload older than its TTL reads as expired and the expiry sweep removes it, counting bytes once', async () => {
  let now = new Date();
  const store = new UploadStore(blobs, prefix, { maxBytes: 100, ttlSeconds: 60 }, () => now);
  await store.write('old', chunks('12345'));
  now = new Date(Date.now() + 61_000);
  expect(await store.size('old')).toBeNull();
  await expect(store.open('old')).rejects.toThrow(/input expired/);
  expect(await store.removeExpired()).toEqual({ removed: 1, bytesFreed: 5 });
  expect(await store.removeExpired()).toEqual({ removed: 0, bytesFreed: 0 });
});

test('artifacts keep their bytes in the blob store and only metadata in Redis, which expires a day after the retention', async () => {
  const now = new Date('2026-06-15T00:00:00Z');
  const store = new ArtifactStore(redis, blobs, prefix, { retentionDays: 7, maxBytes: 100 }, () => now);
  const meta = await store.put('r1', Buffer.from('%PDF-1.7'), { format: 'pdf', filename: 'r.pdf', job_id: 'j1' });
  expect(meta).toEqual({
    report_id: 'r1', format: 'pdf', content_type: 'application/pdf', filename: 'r.pdf', size_bytes: 8,
    created_at: '2026-06-15T00:00:00.000Z', expires_at: '2026-06-22T00:00:00.000Z', job_id: 'j1',
  });
  const ttl = await redis.pttl(appKeys(prefix).artifactMeta('r1'));
  expect(ttl).toBeGreaterThan(7.9 * 86_400_000);
  expect(ttl).toBeLessThanOrEqual(8 * 86_400_000);
  expect(await redis.exists(appKeys(prefix).artifact('r1'))).toBe(0);
  expect((await blobs.stat(`${prefix}/artifacts/r1`))!.size).toBe(8);
  expect(String((await store.get('r1'))!.body)).toBe('%PDF-1.7');
  await expect(store.put('r2', Buffer.alloc(101), { format: 'pdf', filename: 'x', job_id: 'j' })).rejects.toThrow(/REPORT_MAX_BYTES=100/);
  await expect(store.put('r3', chunks('x'.repeat(60), 'y'.repeat(60)), { format: 'pdf', filename: 'x', job_id: 'j' })).rejects.toThrow(/REPORT_MAX_BYTES=100/);
  expect(await store.getMeta('r3')).toBeNull();
  expect(await blobs.stat(`${prefix}/artifacts/r3`)).toBeNull();
});

test('removing old artifacts deletes bytes and metadata, sweeps orphans, reports bytes freed and is idempotent', async () => {
  let now = new Date('2026-06-01T00:00:00Z');
  const store = new ArtifactStore(redis, blobs, prefix, { retentionDays: 7, maxBytes: 1000 }, () => now);
  await store.put('old', Buffer.alloc(100), { format: 'json', filename: 'o.json', job_id: 'j' });
  now = new Date('2026-06-10T00:00:00Z');
  await store.put('new', Buffer.alloc(50), { format: 'json', filename: 'n.json', job_id: 'j' });
  // an orphan: bytes without metadata (a crash between the two writes)
  await blobs.put(`${prefix}/artifacts/orphan`, [Buffer.alloc(30)]);
  const cutoff = new Date('2026-06-05T00:00:00Z');
  const sweepBefore = new Date(Date.now() + 1000);
  expect(await store.removeOlderThan(cutoff, sweepBefore)).toEqual({ ids: ['old', 'orphan'], bytesFreed: 130 });
  expect(await store.removeOlderThan(cutoff, sweepBefore)).toEqual({ ids: [], bytesFreed: 0 });
  expect(await store.get('old')).toBeNull();
  expect((await store.get('new'))!.body.length).toBe(50);
});
