import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type ExcelJS from 'exceljs';
import type { CellValue } from './columns';
import { FatalUploadError } from './upload-types';

export interface SourceRow {
  /** 1-based, as a spreadsheet numbers it (the header is row 1 when it is the first line). */
  readonly row: number;
  readonly cells: CellValue[];
  /** A cell the reader already knows is bad (e.g. bytes that are not UTF-8), by index. */
  readonly problem?: { readonly index: number; readonly reason: string };
}

const NOT_UTF8 = 'not valid UTF-8 text (save the file as "CSV UTF-8")';

/** CSV rows, streamed; delimiter `,` or `;` detected from the header line. */
export async function* csvRows(input: Readable, delimiter: ',' | ';' | '\t' = ','): AsyncGenerator<SourceRow> {
  const parser = input.pipe(
    parse({ bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, max_record_size: 1024 * 1024 }),
  );
  input.on('error', (err) => parser.destroy(err));
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // The decoder turns bytes that are not UTF-8 into U+FFFD: such a row is reported, never stored as mojibake.
      const bad = rec.record.findIndex((cell) => cell.includes('\uFFFD'));
      yield { row: rec.info.lines, cells: rec.record, ...(bad >= 0 ? { problem: { index: bad, reason: NOT_UTF8 } } : {}) };
    }
  } catch (err) {
    if (err instanceof FatalUploadError) throw err;
    const e = err as { code?: string; lines?: number; message: string };
    if (e.code?.startsWith('CSV_')) throw new FatalUploadError(`the CSV cannot be parsed near line ${e.lines ?? '?'}: ${e.message}`);
    throw err;
  }
}

/** Picks the delimiter of the header line: the most frequent of `,` `;` and tab. */
export function detectDelimiter(head: Buffer): ',' | ';' | '\t' {
  const line = head.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  const counts = ([',', ';', '\t'] as const).map((d) => [d, line.split(d).length - 1] as const);
  return counts.sort((a, b) => b[1] - a[1])[0]![1] > 0 ? counts[0]![0] : ',';
}

function cellValue(v: ExcelJS.CellValue): CellValue {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('result' in v) return cellValue(v.result);
    if ('text' in v) return String(v.text);
    if ('error' in v) return undefined;
  }
  // Any other object (a formula with no cached result) has no value to import.
  return undefined;
}

/** Rows of the first worksheet, streamed with ExcelJS's WorkbookReader. */
export async function* xlsxRows(input: Readable): AsyncGenerator<SourceRow> {
  // Loaded on first use: ExcelJS adds ~37 MB to a process, and most workers never read an XLSX.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose: loaded on first use
  const excel = require('exceljs') as typeof ExcelJS;
  const reader = new excel.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'emit',
  });
  let first = true;
  try {
    for await (const sheet of reader) {
      for await (const row of sheet) {
        if (!first) continue;
        const values = row.values as ExcelJS.CellValue[];
        // ExcelJS rows are 1-based sparse arrays.
        yield { row: row.number, cells: values.slice(1).map(cellValue) };
      }
      first = false;
    }
  } catch (err) {
    if (err instanceof FatalUploadError) throw err;
    throw new FatalUploadError(`the XLSX file cannot be read: ${(err as Error).message}`);
  }
}
