import type PDFDocumentType from 'pdfkit';
import { decimal, integer, METRIC_LABELS, money, percent, reportCurrency } from './format';
import type { CampaignReport, ChannelLine } from './report-types';

const MARGIN = 50;
const INK = '#1f2937';
const MUTED = '#6b7280';
const ACCENT = '#2563eb';
const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2'];

export interface PdfOptions {
  /** @default 'Campaign performance report' */
  readonly title?: string;
}

/**
 * Renders the report as a PDF a marketing team can send on: a title page, the KPI summary, the channel
 * table with vector bar charts, the benchmark comparison and the ranked insights.
 */
export function renderPdf(report: CampaignReport, opts: PdfOptions = {}): Promise<Buffer> {
  const title = opts.title ?? 'Campaign performance report';
  // Loaded on first use (~15 MB): only processes that render PDFs pay for PDFKit.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose: loaded on first use
  const PDFDocument = require('pdfkit') as typeof PDFDocumentType;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: title, Author: 'pca-agent', Subject: 'Campaign analytics', CreationDate: new Date(report.generated_at) },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const cur = reportCurrency(report.currencies);
  titlePage(doc, report, title, cur);
  doc.addPage();
  kpiSummary(doc, report, cur);
  channelTable(doc, report.channels, cur);
  barChart(doc, 'ROAS by channel', report.channels.map((c) => ({ label: c.channel, value: c.kpis.roas ?? 0 })), (v) => v.toFixed(2));
  barChart(doc, `Spend by channel${cur ? ` (${cur})` : ''}`, report.channels.map((c) => ({ label: c.channel, value: c.spend })), (v) => integer(v));
  doc.addPage();
  benchmarks(doc, report);
  insights(doc, report);
  doc.end();
  return done;
}

type Doc = PDFKit.PDFDocument;

function heading(doc: Doc, text: string): void {
  ensureSpace(doc, 60);
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(15).fillColor(INK).text(text, MARGIN);
  const y = doc.y + 2;
  doc.moveTo(MARGIN, y).lineTo(doc.page.width - MARGIN, y).lineWidth(0.8).strokeColor(ACCENT).stroke();
  doc.moveDown(0.6).font('Helvetica').fontSize(10).fillColor(INK);
}

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
}

function titlePage(doc: Doc, r: CampaignReport, title: string, cur: string): void {
  doc.rect(0, 0, doc.page.width, 8).fill(ACCENT);
  doc.font('Helvetica-Bold').fontSize(28).fillColor(INK).text(title, MARGIN, 180);
  doc.moveDown(0.5).font('Helvetica').fontSize(12).fillColor(MUTED);
  doc.text(`Generated ${r.generated_at.slice(0, 16).replace('T', ' ')} UTC`);
  const filters = Object.entries(r.filters)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  doc.text(r.source === 'inline' ? 'Source: campaigns supplied with the request' : `Scope: ${filters.length ? filters.join('; ') : 'all stored campaigns'}`);
  if (r.currencies.length > 1) doc.text(`Currencies: ${r.currencies.join(', ')} (amounts are summed as given)`);

  const boxes: [string, string][] = [
    ['Campaigns', integer(r.totals.campaigns)],
    ['Spend', money(r.totals.spend, cur)],
    ['Revenue', money(r.totals.revenue, cur)],
    ['ROAS', decimal(r.totals.kpis.roas)],
  ];
  const width = (doc.page.width - 2 * MARGIN - 30) / 4;
  const top = 330;
  boxes.forEach(([label, value], i) => {
    const x = MARGIN + i * (width + 10);
    doc.roundedRect(x, top, width, 64, 6).fillAndStroke('#eff6ff', '#bfdbfe');
    doc.fillColor(MUTED).font('Helvetica').fontSize(9).text(label, x + 8, top + 10, { width: width - 16 });
    doc.fillColor(INK).font('Helvetica-Bold').fontSize(13).text(value, x + 8, top + 30, { width: width - 16 });
  });
  doc.font('Helvetica').fontSize(10).fillColor(MUTED).text(`${r.insights.length} insights inside.`, MARGIN, top + 100);
}

function kpiSummary(doc: Doc, r: CampaignReport, cur: string): void {
  doc.y = MARGIN;
  heading(doc, 'KPI summary');
  const k = r.totals.kpis;
  const rows: [string, string][] = [
    ['Budget', money(r.totals.budget, cur)],
    ['Spend', money(r.totals.spend, cur)],
    ['Revenue', money(r.totals.revenue, cur)],
    ['Impressions', integer(r.totals.impressions)],
    ['Clicks', integer(r.totals.clicks)],
    ['Conversions', integer(r.totals.conversions)],
    ['CTR', percent(k.ctr)],
    ['CPC', decimal(k.cpc)],
    ['CPM', decimal(k.cpm)],
    ['CPA', decimal(k.cpa)],
    ['Conversion rate', percent(k.conversion_rate)],
    ['ROAS', decimal(k.roas)],
    ['Budget pacing', percent(k.budget_pacing, 0)],
  ];
  const half = Math.ceil(rows.length / 2);
  const colWidth = (doc.page.width - 2 * MARGIN) / 2;
  const top = doc.y;
  rows.forEach(([label, value], i) => {
    const col = i < half ? 0 : 1;
    const y = top + (i % half) * 18;
    const x = MARGIN + col * colWidth;
    doc.font('Helvetica').fillColor(MUTED).text(label, x, y, { width: 110 });
    doc.font('Helvetica-Bold').fillColor(INK).text(value, x + 110, y, { width: colWidth - 120 });
  });
  doc.x = MARGIN;
  doc.y = top + half * 18;
}

function table(doc: Doc, headers: string[], rows: string[][], widths: number[]): void {
  const rowHeight = 18;
  const drawRow = (cells: string[], bold: boolean, shade: boolean) => {
    ensureSpace(doc, rowHeight);
    const y = doc.y;
    if (shade) doc.rect(MARGIN, y - 3, widths.reduce((a, b) => a + b, 0), rowHeight).fill('#f3f4f6');
    let x = MARGIN;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9).fillColor(INK);
    cells.forEach((cell, i) => {
      doc.text(cell, x + 3, y, { width: widths[i]! - 6, align: i === 0 ? 'left' : 'right', lineBreak: false, ellipsis: true });
      x += widths[i]!;
    });
    doc.x = MARGIN;
    doc.y = y + rowHeight;
  };
  drawRow(headers, true, true);
  rows.forEach((r, i) => drawRow(r, false, i % 2 === 1));
  doc.fontSize(10);
}

function channelTable(doc: Doc, channels: readonly ChannelLine[], cur: string): void {
  heading(doc, 'Channels');
  table(
    doc,
    ['Channel', 'Campaigns', `Spend${cur ? ` (${cur})` : ''}`, 'Revenue', 'CTR', 'CPC', 'CPA', 'CVR', 'ROAS'],
    channels.map((c) => [
      c.channel,
      integer(c.campaigns),
      money(c.spend),
      money(c.revenue),
      percent(c.kpis.ctr),
      decimal(c.kpis.cpc),
      decimal(c.kpis.cpa),
      percent(c.kpis.conversion_rate),
      decimal(c.kpis.roas),
    ]),
    [70, 55, 70, 70, 45, 40, 50, 45, 50],
  );
}

/** A horizontal bar chart drawn with vector paths (no raster image), one bar per channel. */
function barChart(doc: Doc, title: string, bars: { label: string; value: number }[], fmt: (v: number) => string): void {
  if (bars.length === 0) return;
  const barHeight = 16;
  const gap = 6;
  const height = 30 + bars.length * (barHeight + gap);
  ensureSpace(doc, height + 40);
  heading(doc, title);
  const labelWidth = 80;
  const plotWidth = doc.page.width - 2 * MARGIN - labelWidth - 60;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const top = doc.y;
  const x0 = MARGIN + labelWidth;
  bars.forEach((b, i) => {
    const y = top + i * (barHeight + gap);
    const w = Math.max(0, (b.value / max) * plotWidth);
    doc.font('Helvetica').fontSize(9).fillColor(INK).text(b.label, MARGIN, y + 4, { width: labelWidth - 8, align: 'right' });
    doc.rect(x0, y, w, barHeight).fill(PALETTE[i % PALETTE.length]);
    doc.fillColor(INK).text(fmt(b.value), x0 + w + 5, y + 4, { width: 60, lineBreak: false });
  });
  const bottom = top + bars.length * (barHeight + gap);
  doc.moveTo(x0, top - 3).lineTo(x0, bottom).lineWidth(0.8).strokeColor(MUTED).stroke();
  doc.x = MARGIN;
  doc.y = bottom + 4;
}

function benchmarks(doc: Doc, r: CampaignReport): void {
  doc.y = MARGIN;
  heading(doc, 'Against benchmarks');
  if (r.benchmarks.comparisons.length === 0) {
    doc.fillColor(MUTED).text('No benchmarks available yet for these channels (they are refreshed daily).');
    return;
  }
  doc.fillColor(MUTED).text(`Benchmarks over ${r.benchmarks.window_days} days, refreshed ${r.benchmarks.refreshed_at?.slice(0, 10)}.`);
  doc.moveDown(0.5);
  table(
    doc,
    ['Channel', 'Metric', 'Value', 'Median', 'P25', 'P75', 'vs median', 'Assessment'],
    r.benchmarks.comparisons.map((c) => {
      const isRate = c.metric === 'ctr' || c.metric === 'conversion_rate';
      const f = (v: number) => (isRate ? percent(v) : decimal(v));
      return [
        c.channel,
        METRIC_LABELS[c.metric] ?? c.metric,
        f(c.value),
        f(c.median),
        f(c.p25),
        f(c.p75),
        c.difference_pct === null ? 'n/a' : `${c.difference_pct > 0 ? '+' : ''}${c.difference_pct.toFixed(1)}%`,
        c.assessment.replace('_', ' '),
      ];
    }),
    [70, 50, 60, 60, 55, 55, 60, 85],
  );
}

function insights(doc: Doc, r: CampaignReport): void {
  heading(doc, 'Insights');
  if (r.insights.length === 0) doc.fillColor(MUTED).text('Nothing stands out: no outliers, no overspend.');
  const colors = { high: '#dc2626', medium: '#f59e0b', low: '#16a34a' } as const;
  for (const i of r.insights) {
    ensureSpace(doc, 40);
    const y = doc.y;
    doc.circle(MARGIN + 4, y + 5, 3.5).fill(colors[i.severity]);
    doc.font('Helvetica-Bold').fontSize(10).fillColor(INK).text(`${i.rank}. ${i.title}`, MARGIN + 14, y);
    doc.font('Helvetica').fontSize(9).fillColor(MUTED).text(`${i.detail} (${i.severity}, ${i.channel})`, MARGIN + 14);
    doc.moveDown(0.4);
  }
  if (r.follow_up_questions.length) {
    heading(doc, 'Questions to ask next');
    for (const q of r.follow_up_questions) {
      ensureSpace(doc, 24);
      doc.font('Helvetica').fontSize(10).fillColor(INK).text(`- ${q}`, MARGIN);
      doc.moveDown(0.3);
    }
  }
}
