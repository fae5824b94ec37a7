import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStoreConfigError, BlobStoreUnavailableError, readAll, type BlobInfo, type BlobStore } from '../../services/src/storage/blob-store';
import { FsBlobStore } from '../../services/src/storage/fs-blob-store';
import { S3BlobStore } from '../../services/src/storage/s3-blob-store';
import { S3RVER_CREDENTIALS, S3Server } from '../helpers/s3rver';
import { TcpProxy } from '../helpers/tcp-proxy';

let s3: S3Server;
let fsDir: string;
const BUCKET = 'pca-blob-test';
const opened: BlobStore[] = [];

beforeAll(async () => {
  s3 = await S3Server.start();
  await s3.createBucket(BUCKET);
  fsDir = await mkdtemp(join(tmpdir(), 'blobs-'));
});
afterAll(async () => {
  for (const b of opened) await b.close();
  await s3?.close();
  await rm(fsDir, { recursive: true, force: true });
});

function s3Store(opts: { endpoint?: string; bucket?: string; prefix?: string } = {}): S3BlobStore {
  const store = new S3BlobStore({
    bucket: opts.bucket ?? BUCKET,
    endpoint: opts.endpoint ?? s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    prefix: opts.prefix ?? `p${randomBytes(3).toString('hex')}`,
    credentials: S3RVER_CREDENTIALS,
    maxAttempts: 1,
    connectTimeoutMs: 1000,
  });
  opened.push(store);
  return store;
}

async function* chunks(total: number, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(Math.min(size, total - sent), sent % 251);
}

async function listAll(store: BlobStore, prefix: string, olderThan?: Date): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const b of store.list(prefix, { olderThan })) out.push(b);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

describe.each([
  ['filesystem', () => new FsBlobStore(join(fsDir, randomBytes(3).toString('hex')))],
  ['s3', () => s3Store()],
] as const)('%s blob store', (_name, make) => {
  test('streams in and out, reads ranges, stats, lists by age and deletes idempotently', async () => {
    const store = make();
    await store.check();
    expect(await store.put('a/one.bin', chunks(300_000))).toBe(300_000);
    expect(await store.put('a/two.txt', ['hello ', 'world'])).toBe(11);
    expect(await store.put('b/three.txt', [Buffer.from('x')])).toBe(1);

    const whole = await readAll((await store.get('a/one.bin'))!);
    expect(whole.length).toBe(300_000);
    expect(whole.equals(await readAll(chunks(300_000)))).toBe(true);
    expect(String(await readAll((await store.get('a/two.txt', { start: 6, end: 10 }))!))).toBe('world');
    expect(await store.get('a/missing')).toBeNull();
    expect(await store.stat('a/two.txt')).toMatchObject({ key: 'a/two.txt', size: 11 });
    expect(await store.stat('nope')).toBeNull();

    expect((await listAll(store, 'a/')).map((b) => [b.key, b.size])).toEqual([['a/one.bin', 300_000], ['a/two.txt', 11]]);
    expect(await listAll(store, 'a/', new Date(Date.now() - 3_600_000))).toEqual([]);
    expect((await listAll(store, 'a/', new Date(Date.now() + 60_000))).length).toBe(2);

    expect(await store.put('a/two.txt', ['replaced'])).toBe(8);
    expect(String(await readAll((await store.get('a/two.txt'))!))).toBe('replaced');
    expect(await store.delete('a/two.txt')).toBe(true);
    expect(await store.delete('a/two.txt')).toBe(false);
    expect(await store.get('a/two.txt')).toBeNull();
  });

  test('a body past maxBytes fails the put with the caller\'s error and leaves nothing visible', async () => {
    const store = make();
    class TooBig extends Error {}
    await expect(store.put('big/x', chunks(200_000), { maxBytes: 100_000, tooLarge: () => new TooBig('too big') })).rejects.toBeInstanceOf(TooBig);
    expect(await store.stat('big/x')).toBeNull();
    expect(await listAll(store, 'big/')).toEqual([]);
  });

  test('keys that could escape the store are refused', async () => {
    const store = make();
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'sp ace']) {
      await expect(store.put(key, ['x'])).rejects.toThrow(/invalid blob key/);
    }
  });
});

test('filesystem: an interrupted put leaves no file, and the partial write is not listed', async () => {
  const dir = join(fsDir, 'interrupted');
  const store = new FsBlobStore(dir);
  async function* dying() {
    yield Buffer.alloc(100_000);
    throw new Error('client went away');
  }
  await expect(store.put('u/x', dying())).rejects.toThrow('client went away');
  expect(await store.stat('u/x')).toBeNull();
  expect(await readdir(join(dir, '.tmp'))).toEqual([]);
  expect(await listAll(store, '')).toEqual([]);
});

test('filesystem: list by age uses the file times', async () => {
  const dir = join(fsDir, 'aged');
  const store = new FsBlobStore(dir);
  await store.put('r/old', ['o']);
  await store.put('r/new', ['n']);
  const old = new Date(Date.now() - 10 * 86_400_000);
  await utimes(join(dir, 'r', 'old'), old, old);
  expect((await listAll(store, 'r/', new Date(Date.now() - 86_400_000))).map((b) => b.key)).toEqual(['r/old']);
});

test('s3: a missing bucket is one clear configuration error naming it', async () => {
  const store = s3Store({ bucket: 'no-such-bucket-here' });
  const err = await store.check().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BlobStoreConfigError);
  expect((err as Error).message).toMatch(/S3 bucket "no-such-bucket-here" does not exist \(S3_BUCKET\)/);
});

test('s3: an unreachable endpoint is a retryable unavailability, not a configuration error', async () => {
  const proxy = await TcpProxy.start(s3.port);
  proxy.cut();
  const store = s3Store({ endpoint: `http://127.0.0.1:${proxy.port}` });
  await expect(store.check(1000)).rejects.toBeInstanceOf(BlobStoreUnavailableError);
  await expect(store.put('x', ['x'])).rejects.toBeInstanceOf(BlobStoreUnavailableError);
  proxy.restore();
  await store.check(2000);
  await proxy.close();
});

test('s3: a store that dies in the middle of a multipart upload fails the put and leaves no object', async () => {
  const proxy = await TcpProxy.start(s3.port);
  const store = s3Store({ endpoint: `http://127.0.0.1:${proxy.port}` });
  let sent = 0;
  async function* body() {
    for await (const chunk of chunks(24 * 1024 * 1024, 256 * 1024)) {
      sent += chunk.length;
      // past the first 8 MiB part: the upload is under way when the store goes away
      if (sent === 12 * 1024 * 1024) proxy.cut();
      yield chunk;
    }
  }
  await expect(store.put('mp/big.bin', body())).rejects.toThrow();
  proxy.restore();
  expect(await store.stat('mp/big.bin')).toBeNull();
  expect(await listAll(store, 'mp/')).toEqual([]);
  // and the same put succeeds once the store is back
  expect(await store.put('mp/big.bin', chunks(9 * 1024 * 1024, 256 * 1024))).toBe(9 * 1024 * 1024);
  expect((await store.stat('mp/big.bin'))!.size).toBe(9 * 1024 * 1024);
  await proxy.close();
});

test('s3: a presigned URL downloads the object directly with the attachment name', async () => {
  const store = s3Store();
  await store.put('r/report.json', ['{"ok":true}'], { contentType: 'application/json' });
  const url = await store.presignedUrl('r/report.json', { expiresSeconds: 60, filename: 'my report.json', contentType: 'application/json' });
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-disposition')).toBe('attachment; filename="my_report.json"');
  expect(await res.text()).toBe('{"ok":true}');
});
