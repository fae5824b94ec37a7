import { FatalUploadError } from './upload-types';

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const MAGIC: [Buffer, string][] = [
  [ZIP_MAGIC, 'a ZIP archive (an XLSX workbook?)'],
  [Buffer.from('%PDF'), 'a PDF document'],
  [Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), 'a legacy Office document (.xls)'],
  [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'a PNG image'],
  [Buffer.from([0xff, 0xd8, 0xff]), 'a JPEG image'],
  [Buffer.from([0x1f, 0x8b]), 'a gzip archive'],
];

/**
 * Checks that the first bytes of a "CSV" are UTF-8 text: known binary signatures, NUL bytes, control
 * characters or invalid UTF-8 make the upload fatal before anything is parsed.
 */
export function sniffCsv(head: Buffer): void {
  if (head.length === 0) throw new FatalUploadError('the file is empty');
  for (const [magic, what] of MAGIC) {
    if (head.subarray(0, magic.length).equals(magic)) throw new FatalUploadError(`the file is ${what}, not a CSV`);
  }
  let control = 0;
  for (const b of head) {
    if (b === 0) throw new FatalUploadError('the file is binary (it contains NUL bytes), not a CSV');
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  if (control > head.length / 100) throw new FatalUploadError('the file is binary (control characters), not a CSV');
  try {
    // A multi-byte character may be cut at the end of the sample; `stream: true` tolerates exactly that.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    throw new FatalUploadError('the file is not UTF-8 text: save it as "CSV UTF-8"');
  }
}

export function sniffXlsx(head: Buffer): void {
  if (head.length === 0) throw new FatalUploadError('the file is empty');
  if (!head.subarray(0, 4).equals(ZIP_MAGIC)) {
    throw new FatalUploadError('the file is not an XLSX workbook (no ZIP signature)');
  }
}
