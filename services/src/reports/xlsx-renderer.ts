import type ExcelJS from 'exceljs';
import { METRIC_LABELS, reportCurrency } from './format';
import type { CampaignLine, CampaignReport, ChannelLine } from './report-types';

const FORMULA_START = /^[=+\-@\t\r]/;
const TEXT_FORMAT = '@';
const PERCENT = '0.00%';
const RATIO = '0.00';
const INTEGER = '#,##0';

/**
 * A string cell that no spreadsheet evaluates. ExcelJS writes plain strings as shared strings (never
 * formulas); the text number format keeps them text if a user edits the cell, and values that look like
 * formulas are tagged so a test and a reader can see the guard applied.
 */
function text(cell: ExcelJS.Cell, value: string): void {
  cell.value = value;
  if (FORMULA_START.test(value)) cell.numFmt = TEXT_FORMAT;
}

interface Column {
  readonly header: string;
  readonly width: number;
  readonly numFmt?: string;
}

function sheet(wb: ExcelJS.Workbook, name: string, columns: readonly Column[], rows: readonly (string | number | null)[][]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }] });
  ws.columns = columns.map((c) => ({ header: c.header, width: c.width }));
  const header = ws.getRow(1);
  header.font = { bold: true, color: { argb: 'FFFFFFFF' } };
  header.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF2563EB' } };
  rows.forEach((values, r) => {
    const row = ws.getRow(r + 2);
    values.forEach((v, c) => {
      const cell = row.getCell(c + 1);
      const col = columns[c]!;
      if (v === null) cell.value = null;
      else if (typeof v === 'string') text(cell, v);
      else cell.value = v;
      if (col.numFmt && typeof v === 'number') cell.numFmt = col.numFmt;
    });
    row.commit();
  });
  if (rows.length > 0 || columns.length > 0) {
    ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, rows.length + 1), column: columns.length } };
  }
  return ws;
}

/** The twelve numeric columns campaigns and channels share, typed and formatted. */
function metricColumns(currency: string): Column[] {
  return [
    { header: 'Budget', width: 14, numFmt: currency },
    { header: 'Spend', width: 14, numFmt: currency },
    { header: 'Revenue', width: 14, numFmt: currency },
    { header: 'Impressions', width: 13, numFmt: INTEGER },
    { header: 'Clicks', width: 10, numFmt: INTEGER },
    { header: 'Conversions', width: 12, numFmt: INTEGER },
    { header: 'CTR', width: 9, numFmt: PERCENT },
    { header: 'CPC', width: 11, numFmt: currency },
    { header: 'CPA', width: 11, numFmt: currency },
    { header: 'CVR', width: 9, numFmt: PERCENT },
    { header: 'ROAS', width: 9, numFmt: RATIO },
    { header: 'Pacing', width: 9, numFmt: PERCENT },
  ];
}

function metricValues(l: CampaignLine | ChannelLine): (number | null)[] {
  const k = l.kpis;
  return [l.budget, l.spend, l.revenue, l.impressions, l.clicks, l.conversions, k.ctr, k.cpc, k.cpa, k.conversion_rate, k.roas, k.budget_pacing];
}

/** Renders the report as an XLSX workbook: Summary, Campaigns, Channels and Benchmarks sheets. */
export async function renderXlsx(report: CampaignReport): Promise<Buffer> {
  // Loaded on first use (~37 MB): only processes that render or read workbooks pay for ExcelJS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose: loaded on first use
  const excel = require('exceljs') as typeof ExcelJS;
  const wb = new excel.Workbook();
  wb.creator = 'pca-agent';
  wb.created = new Date(report.generated_at);
  const cur = reportCurrency(report.currencies);
  const currency = cur ? `"${cur}" #,##0.00` : '#,##0.00';

  const summary = wb.addWorksheet('Summary');
  summary.columns = [{ width: 28 }, { width: 24 }];
  summary.getCell('A1').value = 'Campaign performance report';
  summary.getCell('A1').font = { bold: true, size: 16 };
  const t = report.totals;
  const k = t.kpis;
  const lines: [string, string | number | null, string?][] = [
    ['Generated (UTC)', report.generated_at],
    ['Source', report.source === 'inline' ? 'campaigns supplied with the request' : 'stored campaigns'],
    ['Currencies', report.currencies.join(', ')],
    ['Campaigns', t.campaigns, INTEGER],
    ['Budget', t.budget, currency],
    ['Spend', t.spend, currency],
    ['Revenue', t.revenue, currency],
    ['Impressions', t.impressions, INTEGER],
    ['Clicks', t.clicks, INTEGER],
    ['Conversions', t.conversions, INTEGER],
    ['CTR', k.ctr, PERCENT],
    ['CPC', k.cpc, currency],
    ['CPM', k.cpm, currency],
    ['CPA', k.cpa, currency],
    ['Conversion rate', k.conversion_rate, PERCENT],
    ['ROAS', k.roas, RATIO],
    ['Budget pacing', k.budget_pacing, PERCENT],
  ];
  lines.forEach(([label, value, fmt], i) => {
    const row = summary.getRow(i + 3);
    row.getCell(1).value = label;
    row.getCell(1).font = { bold: true };
    const cell = row.getCell(2);
    if (typeof value === 'string') text(cell, value);
    else cell.value = value;
    if (fmt && typeof value === 'number') cell.numFmt = fmt;
  });
  const filters = Object.entries(report.filters).filter(([, v]) => v !== undefined);
  filters.forEach(([key, value], i) => {
    const row = summary.getRow(lines.length + 4 + i);
    row.getCell(1).value = `Filter: ${key}`;
    text(row.getCell(2), Array.isArray(value) ? value.join(', ') : String(value));
  });

  sheet(
    wb,
    'Campaigns',
    [
      { header: 'ID', width: 24 },
      { header: 'Name', width: 32 },
      { header: 'Channel', width: 12 },
      { header: 'Status', width: 11 },
      { header: 'Start', width: 12 },
      { header: 'End', width: 12 },
      { header: 'Currency', width: 9 },
      ...metricColumns(currency),
    ],
    report.campaigns.map((c) => [
      c.id,
      c.name,
      c.channel,
      c.status,
      c.start_date,
      c.end_date,
      c.currency,
      ...metricValues(c),
    ]),
  );

  sheet(
    wb,
    'Channels',
    [
      { header: 'Channel', width: 12 },
      { header: 'Campaigns', width: 11, numFmt: INTEGER },
      ...metricColumns(currency),
    ],
    report.channels.map((c) => [
      c.channel,
      c.campaigns,
      ...metricValues(c),
    ]),
  );

  const benchmarks = sheet(
    wb,
    'Benchmarks',
    [
      { header: 'Channel', width: 12 },
      { header: 'Metric', width: 9 },
      { header: 'Value', width: 11 },
      { header: 'Median', width: 11 },
      { header: 'P25', width: 11 },
      { header: 'P75', width: 11 },
      { header: 'Difference vs median', width: 20, numFmt: '+0.0"%";-0.0"%";0.0"%"' },
      { header: 'Position', width: 10 },
      { header: 'Assessment', width: 12 },
    ],
    report.benchmarks.comparisons.map((c) => [
      c.channel,
      METRIC_LABELS[c.metric] ?? c.metric,
      c.value,
      c.median,
      c.p25,
      c.p75,
      c.difference_pct,
      c.position,
      c.assessment,
    ]),
  );
  // Rates read as percentages, costs and ROAS as plain decimals.
  report.benchmarks.comparisons.forEach((c, i) => {
    const fmt = c.metric === 'ctr' || c.metric === 'conversion_rate' ? PERCENT : c.metric === 'roas' ? RATIO : currency;
    for (const col of [3, 4, 5, 6]) benchmarks.getRow(i + 2).getCell(col).numFmt = fmt;
  });
  if (report.benchmarks.comparisons.length === 0) {
    benchmarks.getCell('A2').value = 'No benchmarks yet: they are computed by refresh_benchmarks.';
  }

  return Buffer.from(await wb.xlsx.writeBuffer());
}
