/** Number formatting shared by the PDF and spreadsheet renderers. */
export const money = (v: number, currency = '') =>
  `${currency ? `${currency} ` : ''}${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
export const integer = (v: number) => Math.round(v).toLocaleString('en-US');
export const percent = (v: number | null, places = 2) => (v === null ? 'n/a' : `${(v * 100).toFixed(places)}%`);
export const decimal = (v: number | null, places = 2) => (v === null ? 'n/a' : v.toFixed(places));

/** The one currency of the report, or '' when it mixes several (amounts are then shown bare). */
export function reportCurrency(currencies: readonly string[]): string {
  return currencies.length === 1 ? currencies[0]! : '';
}

export const METRIC_LABELS: Readonly<Record<string, string>> = {
  ctr: 'CTR',
  cpc: 'CPC',
  cpm: 'CPM',
  cpa: 'CPA',
  conversion_rate: 'CVR',
  roas: 'ROAS',
  budget_pacing: 'Pacing',
};
