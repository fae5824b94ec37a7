import { createInflateRaw } from 'node:zlib';
import { FatalUploadError } from './upload-types';

export interface ZipLimits {
  /** Sum of the entries' declared uncompressed sizes. */
  readonly maxUncompressedBytes: number;
  /** @default 10_000 */
  readonly maxEntries?: number;
  /** Largest expansion ratio of one entry bigger than 1 MiB. @default 500 */
  readonly maxRatio?: number;
  /** sharedStrings.xml is held in memory while a sheet streams. @default 64 MiB */
  readonly maxSharedStringsBytes?: number;
}

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressed: number;
  readonly uncompressed: number;
  /** Offset of the entry's local file header. */
  readonly offset: number;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_MARK = 0xffffffff;

/**
 * Reads a ZIP's central directory through `read(start, endInclusive)` (so the file need not be in
 * memory) and refuses archives that would expand past the limits, before any entry is inflated.
 * Also requires the parts every XLSX has. Returns the entries.
 */
export async function checkXlsxZip(
  size: number,
  read: (start: number, end: number) => Promise<Buffer>,
  limits: ZipLimits,
): Promise<ZipEntry[]> {
  const broken = (why: string) => new FatalUploadError(`the XLSX file is broken: ${why}`);
  if (size < EOCD_MIN) throw broken('too short to be a ZIP archive');
  const tailStart = Math.max(0, size - EOCD_MIN - MAX_COMMENT);
  const tail = await read(tailStart, size - 1);
  let eocd = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw broken('no end of central directory (truncated?)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdSize === ZIP64_MARK || cdOffset === ZIP64_MARK || count === 0xffff) throw broken('ZIP64 archives are not supported');
  if (count > (limits.maxEntries ?? 10_000)) throw new FatalUploadError(`the XLSX file has too many parts (${count})`);
  if (cdOffset + cdSize > tailStart + eocd) throw broken('central directory outside the file');
  const cd = await read(cdOffset, cdOffset + cdSize - 1);
  const entries: ZipEntry[] = [];
  let total = 0;
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG) throw broken('corrupt central directory');
    const method = cd.readUInt16LE(p + 10);
    const compressed = cd.readUInt32LE(p + 20);
    const uncompressed = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const offset = cd.readUInt32LE(p + 42);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    if (compressed === ZIP64_MARK || uncompressed === ZIP64_MARK) throw broken('ZIP64 archives are not supported');
    total += uncompressed;
    const ratio = uncompressed / Math.max(compressed, 1);
    if (uncompressed > 1024 * 1024 && ratio > (limits.maxRatio ?? 500)) {
      throw new FatalUploadError(`the XLSX file looks like a ZIP bomb: ${name} expands ${Math.round(ratio)}×`);
    }
    if (/sharedStrings\.xml$/.test(name) && uncompressed > (limits.maxSharedStringsBytes ?? 64 * 1024 * 1024)) {
      throw new FatalUploadError(`the XLSX file's shared strings are too large (${uncompressed} bytes)`);
    }
    entries.push({ name, method, compressed, uncompressed, offset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  if (total > limits.maxUncompressedBytes) {
    throw new FatalUploadError(`the XLSX file expands to ${total} bytes, over the limit of ${limits.maxUncompressedBytes}`);
  }
  const names = new Set(entries.map((e) => e.name));
  if (!names.has('[Content_Types].xml') || !names.has('xl/workbook.xml')) {
    throw new FatalUploadError('the file is a ZIP archive but not an XLSX workbook');
  }
  return entries;
}

const LFH_SIG = 0x04034b50;
const READ_CHUNK = 256 * 1024;

/**
 * The central directory can lie: inflates every entry once, counting (not keeping) the output, and
 * stops an entry the moment it grows past its declared size. Run after `checkXlsxZip`, whose limits
 * bound the declared sizes, so nothing here can expand past them.
 */
export async function verifyZipEntries(
  size: number,
  read: (start: number, end: number) => Promise<Buffer>,
  entries: readonly ZipEntry[],
): Promise<void> {
  const broken = (why: string) => new FatalUploadError(`the XLSX file is broken: ${why}`);
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    const header = await read(e.offset, Math.min(size, e.offset + 30) - 1);
    if (header.length < 30 || header.readUInt32LE(0) !== LFH_SIG) throw broken(`no local header for ${e.name}`);
    const start = e.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const end = start + e.compressed;
    if (end > size) throw broken(`${e.name} runs past the end of the file`);
    if (e.method === 0) {
      if (e.compressed !== e.uncompressed) throw broken(`${e.name} is stored with inconsistent sizes`);
      continue;
    }
    if (e.method !== 8) throw broken(`${e.name} uses compression method ${e.method}`);
    await inflateCounting(e, start, end, read, broken);
  }
}

async function inflateCounting(
  e: ZipEntry,
  start: number,
  end: number,
  read: (start: number, end: number) => Promise<Buffer>,
  broken: (why: string) => FatalUploadError,
): Promise<void> {
  const inflater = createInflateRaw();
  let produced = 0;
  let failure: Error | undefined;
  inflater.on('data', (chunk: Buffer) => {
    produced += chunk.length;
    if (produced > e.uncompressed && !failure) {
      failure = broken(`${e.name} inflates past its declared ${e.uncompressed} bytes (a disguised ZIP bomb?)`);
      inflater.destroy();
    }
  });
  const finished = new Promise<void>((resolve) => {
    inflater.once('end', resolve);
    inflater.once('close', resolve);
    inflater.once('error', (err) => {
      failure ??= broken(`${e.name} cannot be inflated (${err.message})`);
      resolve();
    });
  });
  for (let pos = start; pos < end && !failure; pos += READ_CHUNK) {
    const chunk = await read(pos, Math.min(end, pos + READ_CHUNK) - 1);
    if (!inflater.write(chunk)) {
      await new Promise<void>((resolve) => {
        if (failure || inflater.destroyed) return resolve();
        inflater.once('drain', resolve);
        inflater.once('close', resolve); // destroyed for growing too large: no drain will come
      });
    }
  }
  if (!failure) inflater.end();
  await finished;
  if (failure) throw failure;
  if (produced !== e.uncompressed) throw broken(`${e.name} inflates to ${produced} bytes, not the declared ${e.uncompressed}`);
}
