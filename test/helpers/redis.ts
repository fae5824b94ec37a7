import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses, so tests can share one Redis. */
export function testPrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

/** The filesystem blob store every test process uses by default (BLOB_FS_DIR relative to the repo). */
export const TEST_BLOB_DIR = resolve(__dirname, '../../.data/blobs');

/** Deletes every key under the prefix (SCAN, never KEYS) and the prefix's files in the default blob store. */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  await rm(join(TEST_BLOB_DIR, prefix), { recursive: true, force: true });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
