import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import ExcelJS from 'exceljs';
import { generateSampleCampaigns } from '../services/src/domain/seed';

const COLUMNS = ['name', 'channel', 'status', 'start_date', 'end_date', 'budget', 'spend', 'impressions', 'clicks', 'conversions', 'revenue', 'currency'] as const;

/** Realistic rows (the seed generator), in chunks so 100,000 rows never sit in memory at once. */
function* sampleRows(rows: number): Generator<ReturnType<typeof generateSampleCampaigns>[number]> {
  const chunk = 5000;
  for (let done = 0, seed = 1; done < rows; done += chunk, seed++) {
    yield* generateSampleCampaigns({ seed, count: Math.min(chunk, rows - done), asOf: new Date('2026-11-01T00:00:00Z') });
  }
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** A campaigns CSV with a header and `rows` data rows; returns its size in bytes. */
export async function writeCampaignCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  };
  await write(`${COLUMNS.join(',')}\n`);
  for (const c of sampleRows(rows)) await write(`${COLUMNS.map((k) => csvCell(c[k])).join(',')}\n`);
  out.end();
  await once(out, 'finish');
  return bytes;
}

/** The same rows as an XLSX workbook (dates as date cells, numbers as numbers), written streamed. */
export async function writeCampaignXlsx(path: string, rows: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true });
  const sheet = wb.addWorksheet('campaigns');
  sheet.addRow([...COLUMNS]).commit();
  for (const c of sampleRows(rows)) {
    sheet
      .addRow(
        COLUMNS.map((k) => (k === 'start_date' || k === 'end_date' ? new Date(`${c[k]}T00:00:00Z`) : c[k])),
      )
      .commit();
  }
  sheet.commit();
  await wb.commit();
}
