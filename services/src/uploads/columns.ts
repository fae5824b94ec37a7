import { FatalUploadError, type RowError } from './upload-types';

export const FIELDS = [
  'id',
  'name',
  'channel',
  'status',
  'start_date',
  'end_date',
  'budget',
  'spend',
  'impressions',
  'clicks',
  'conversions',
  'revenue',
  'currency',
] as const;
export type Field = (typeof FIELDS)[number];

export const REQUIRED_FIELDS: readonly Field[] = ['name', 'channel', 'start_date', 'end_date', 'budget'];

/** Accepted header spellings per field, compared after `normalizeHeader`. */
const ALIASES: Readonly<Record<Field, readonly string[]>> = {
  id: ['id', 'campaignid', 'externalid'],
  name: ['name', 'campaign', 'campaignname'],
  channel: ['channel', 'medium', 'marketingchannel'],
  status: ['status', 'state', 'campaignstatus'],
  start_date: ['startdate', 'start', 'from', 'begin', 'begindate'],
  end_date: ['enddate', 'end', 'to', 'finish', 'finishdate'],
  budget: ['budget', 'totalbudget', 'plannedbudget'],
  spend: ['spend', 'cost', 'amountspent', 'spent'],
  impressions: ['impressions', 'impr', 'imps', 'views'],
  clicks: ['clicks', 'linkclicks'],
  conversions: ['conversions', 'conv', 'results'],
  revenue: ['revenue', 'conversionvalue', 'sales', 'income'],
  currency: ['currency', 'currencycode', 'ccy'],
};

const BY_ALIAS = new Map<string, Field>(FIELDS.flatMap((f) => ALIASES[f].map((a) => [a, f] as const)));

/** A header cell as text (numbers and dates as their usual text; nothing for an empty cell). */
function cellText(h: unknown): string {
  if (h === null || h === undefined) return '';
  if (h instanceof Date) return h.toISOString();
  if (typeof h === 'string') return h;
  if (typeof h === 'number' || typeof h === 'boolean' || typeof h === 'bigint') return String(h);
  return JSON.stringify(h) ?? '';
}

/** Lower case, no spaces, underscores, dashes, dots or BOM: "Start Date", "start_date", "START-DATE" match. */
export function normalizeHeader(h: unknown): string {
  return cellText(h)
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[\s_.-]+/g, '');
}

export interface HeaderMap {
  /** Field per column index (undefined = ignored column). */
  readonly fields: (Field | undefined)[];
  /** The file's header text per field. */
  readonly labels: Partial<Record<Field, string>>;
  readonly ignored: string[];
}

/** Maps the header row to fields; a missing required column or a duplicated field is fatal. */
export function mapHeader(header: readonly unknown[]): HeaderMap {
  const fields: (Field | undefined)[] = [];
  const labels: Partial<Record<Field, string>> = {};
  const ignored: string[] = [];
  header.forEach((h, i) => {
    const label = cellText(h).trim();
    const field = BY_ALIAS.get(normalizeHeader(h));
    if (!field) {
      if (label) ignored.push(label);
      return;
    }
    if (labels[field] !== undefined) {
      throw new FatalUploadError(`columns "${labels[field]}" and "${label}" both map to ${field}`);
    }
    labels[field] = label;
    fields[i] = field;
  });
  const missing = REQUIRED_FIELDS.filter((f) => labels[f] === undefined);
  if (missing.length) {
    const found = header.map((h) => cellText(h).trim()).filter(Boolean);
    throw new FatalUploadError(
      `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${found.join(', ') || 'none'})`,
    );
  }
  return { fields, labels, ignored };
}

const MONEY_FIELDS: ReadonlySet<Field> = new Set(['budget', 'spend', 'revenue']);
const COUNT_FIELDS: ReadonlySet<Field> = new Set(['impressions', 'clicks', 'conversions']);
const DATE_FIELDS: ReadonlySet<Field> = new Set(['start_date', 'end_date']);

/** A cell as both readers hand it over: text from CSV; number, Date, boolean or text from XLSX. */
export type CellValue = string | number | boolean | Date | null | undefined;

function toNumber(v: CellValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const cleaned = v.replace(/[\s,$€£¥]/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cleaned)) return undefined;
  return Number(cleaned);
}

function toDate(v: CellValue): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString().slice(0, 10);
  if (typeof v === 'string') return v.trim();
  return undefined;
}

/**
 * Turns one row's cells into a candidate campaign input: numbers parsed (thousands separators and
 * currency symbols allowed), dates as YYYY-MM-DD, enums lower-cased. Unparseable cells become errors
 * here; ranges and enums are left to the campaign schema.
 */
export function rowToCandidate(
  cells: readonly CellValue[],
  map: HeaderMap,
  row: number,
): { candidate: Record<string, unknown>; errors: RowError[] } {
  const candidate: Record<string, unknown> = {};
  const errors: RowError[] = [];
  map.fields.forEach((field, i) => {
    if (!field) return;
    const raw = cells[i];
    if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return;
    const column = map.labels[field]!;
    if (MONEY_FIELDS.has(field) || COUNT_FIELDS.has(field)) {
      const n = toNumber(raw);
      if (n === undefined) errors.push({ row, column, reason: `not a number: "${String(raw).slice(0, 40)}"` });
      else candidate[field] = n;
    } else if (DATE_FIELDS.has(field)) {
      const d = toDate(raw);
      if (d === undefined) errors.push({ row, column, reason: `not a date: "${String(raw).slice(0, 40)}"` });
      else candidate[field] = d;
    } else if (field === 'channel' || field === 'status') {
      candidate[field] = String(raw).trim().toLowerCase();
    } else if (field === 'currency') {
      candidate[field] = String(raw).trim().toUpperCase();
    } else {
      candidate[field] = raw instanceof Date ? raw.toISOString() : String(raw).trim();
    }
  });
  return { candidate, errors };
}
