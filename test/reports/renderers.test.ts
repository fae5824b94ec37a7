import ExcelJS from 'exceljs';
import { buildReport } from '../../services/src/reports/report-builder';
import { renderPdf } from '../../services/src/reports/pdf-renderer';
import { renderXlsx } from '../../services/src/reports/xlsx-renderer';
import type { CampaignReport } from '../../services/src/reports/report-types';
import { DATASET } from '../helpers/campaign-fixtures';
import { pdfText } from '../helpers/pdf-text';

const NOW = new Date('2026-06-15T00:00:00Z');
const INJECTION = '=HYPERLINK("http://evil.example","click")';
let report: CampaignReport;

beforeAll(async () => {
  const rows = DATASET.map((c) => (c.id === 'D' ? { ...c, name: INJECTION } : c));
  report = await buildReport([rows], { now: NOW, benchmarks: null, filters: {}, source: 'inline' });
});

test('the PDF is a real document whose text carries the report', async () => {
  const pdf = await renderPdf(report);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const text = await pdfText(pdf);
  expect(text.pages).toBeGreaterThanOrEqual(3);
  {
    const all = text.text.replace(/\s+/g, ' ');
    expect(all).toContain('Campaign performance report');
    expect(all).toContain('KPI summary');
    expect(all).toContain('USD 2,650.00'); // total spend
    expect(all).toContain('USD 5,450.00'); // total revenue
    expect(all).toContain('2.06'); // ROAS 5450/2650
    for (const ch of ['search', 'social', 'display']) expect(all).toContain(ch);
    expect(all).toContain('ROAS by channel');
    expect(all).toContain('Overspending: Campaign B');
    expect(all).toContain('Questions to ask next');
  }
  // the chart is vector paths: rectangles filled with the palette, no embedded raster image
  expect(pdf.includes(Buffer.from('/Subtype /Image'))).toBe(false);
});

test('the XLSX reads back cell by cell with types, formats, frozen header, filters and no formula', async () => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await renderXlsx(report)) as unknown as ArrayBuffer);
  expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Campaigns', 'Channels', 'Benchmarks']);

  const summary = wb.getWorksheet('Summary')!;
  const spendRow = summary.getColumn(1).values.findIndex((v) => v === 'Spend');
  expect(summary.getRow(spendRow).getCell(2).value).toBe(2650);
  expect(summary.getRow(spendRow).getCell(2).numFmt).toBe('"USD" #,##0.00');

  const ws = wb.getWorksheet('Campaigns')!;
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  expect(ws.autoFilter).toBe('A1:S5');
  expect(ws.getRow(1).values).toEqual([
    undefined, 'ID', 'Name', 'Channel', 'Status', 'Start', 'End', 'Currency', 'Budget', 'Spend', 'Revenue',
    'Impressions', 'Clicks', 'Conversions', 'CTR', 'CPC', 'CPA', 'CVR', 'ROAS', 'Pacing',
  ]);
  const rowOf = (id: string) => ws.getRow(ws.getColumn(1).values.indexOf(id));
  const b = rowOf('B');
  expect(b.getCell(9).value).toBe(900);
  expect(b.getCell(9).numFmt).toBe('"USD" #,##0.00');
  expect(b.getCell(14).value).toBe(0.01);
  expect(b.getCell(14).numFmt).toBe('0.00%');
  expect(b.getCell(16).value).toBe(180);
  expect(b.getCell(18).value).toBe(0.5);
  expect(b.getCell(18).numFmt).toBe('0.00');
  expect(b.getCell(11).value).toBe(20_000);
  expect(b.getCell(11).numFmt).toBe('#,##0');

  const d = rowOf('D');
  const evil = d.getCell(2);
  expect(evil.type).toBe(ExcelJS.ValueType.String);
  expect(evil.value).toBe(INJECTION);
  expect(evil.formula).toBeUndefined();
  expect(evil.numFmt).toBe('@');
  expect(d.getCell(16).value).toBeNull(); // no conversions: CPA undefined, not 0

  const channels = wb.getWorksheet('Channels')!;
  expect(channels.getRow(2).getCell(1).value).toBe('search');
  expect(channels.getRow(2).getCell(4).value).toBe(1400);
  expect(wb.getWorksheet('Benchmarks')!.getCell('A2').value).toContain('No benchmarks yet');
});
