import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertBlobKey,
  BlobStoreConfigError,
  limitBytes,
  type BlobBody,
  type BlobInfo,
  type BlobPutOptions,
  type BlobRange,
  type BlobStore,
} from './blob-store';

const TMP_DIR = '.tmp';

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';

/**
 * Blobs as files under one directory (one machine, or a volume every pod mounts). A put writes to a
 * temporary file in the same directory tree and renames it into place, so a reader never sees half a file.
 */
export class FsBlobStore implements BlobStore {
  readonly backend = 'filesystem' as const;
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  private path(key: string): string {
    assertBlobKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: BlobBody, opts?: BlobPutOptions): Promise<number> {
    const target = this.path(key);
    const tmp = join(this.root, TMP_DIR, `${randomUUID()}.part`);
    await mkdir(dirname(tmp), { recursive: true });
    let size = 0;
    try {
      await pipeline(
        Readable.from(limitBytes(body, opts)),
        async function* count(source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: 'wx' }),
      );
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      return size;
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable | null> {
    try {
      const handle = await open(this.path(key), 'r');
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.path(key));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async sweepIncomplete(olderThan: Date): Promise<{ removed: number; bytesFreed: number }> {
    const dir = join(this.root, TMP_DIR);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return { removed: 0, bytesFreed: 0 };
      throw err;
    }
    let removed = 0;
    let bytesFreed = 0;
    for (const name of names) {
      if (!name.endsWith('.part')) continue;
      const s = await stat(join(dir, name)).catch(() => null);
      if (!s?.isFile() || s.mtime >= olderThan) continue;
      try {
        await unlink(join(dir, name));
      } catch (err) {
        if (isNotFound(err)) continue; // another sweep got it
        throw err;
      }
      removed++;
      bytesFreed += s.size;
    }
    return { removed, bytesFreed };
  }

  async *list(prefix: string, opts: { readonly olderThan?: Date } = {}): AsyncIterable<BlobInfo> {
    const base = prefix.replace(/\/$/, '');
    if (base !== '') assertBlobKey(base);
    yield* this.walk(base === '' ? this.root : this.path(base), opts.olderThan);
  }

  private async *walk(dir: string, olderThan: Date | undefined): AsyncGenerator<BlobInfo> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (full !== join(this.root, TMP_DIR)) yield* this.walk(full, olderThan);
        continue;
      }
      if (!e.isFile()) continue;
      const s = await stat(full).catch(() => null);
      if (!s || (olderThan && s.mtime >= olderThan)) continue;
      yield { key: relative(this.root, full).split(sep).join('/'), size: s.size, lastModified: s.mtime };
    }
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK | constants.R_OK);
    } catch (err) {
      throw new BlobStoreConfigError(`BLOB_FS_DIR ${this.root} is not a writable directory: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    // nothing held open between calls
  }
}
