import type { Campaign } from './campaign';
import { budgetPacing, computeKpis, KPI_PLACES, roundKpi, roundKpis } from './kpi';

/**
 * How a campaign is stored: its public list item, pre-serialized. The record is the item's JSON up to the
 * value of `kpis.budget_pacing` (the only KPI that moves with the clock), then NUL, then what that KPI and
 * the list filters need:
 *
 *   {"id":…,"updated_at":"…","kpis":{"ctr":…,"roas":…,"budget_pacing":␀start_date|end_date|budget|spend|channel|status
 *
 * A page is then answered by splicing records and one computed number each, without parsing or
 * serializing a document. JSON text never holds a raw NUL, so the split is unambiguous; a record written
 * before this format (plain campaign JSON, no NUL) is still read, by every reader.
 */
const KPIS_KEY = ',"kpis":{';
const NUL = 0;

export function encodeCampaignRecord(c: Campaign): string {
  const { budget_pacing: _moving, ...fixed } = roundKpis(computeKpis(c));
  const kpis = JSON.stringify(fixed);
  const json = JSON.stringify(c);
  return `${json.slice(0, -1)},"kpis":${kpis.slice(0, -1)},"budget_pacing":\u0000${c.start_date}|${c.end_date}|${c.budget}|${c.spend}|${c.channel}|${c.status}`;
}

/** The campaign's own JSON text from a record of either format. */
export function campaignJson(record: string): string {
  const nul = record.lastIndexOf('\u0000');
  if (nul < 0) return record;
  return `${record.slice(0, record.lastIndexOf(KPIS_KEY, nul))}}`;
}

export function decodeCampaignRecord(record: string): Campaign {
  return JSON.parse(campaignJson(record)) as Campaign;
}

/** What a page filter and budget pacing read from a record, without the document. */
export interface RecordFacts {
  readonly start_date: string;
  readonly end_date: string;
  readonly budget: number;
  readonly spend: number;
  readonly channel: string;
  readonly status: string;
}

/** One stored record as a list item (the campaign with its KPIs as of `asOf`), as JSON bytes. */
export class RecordItem {
  private constructor(
    private readonly head: Buffer,
    readonly facts: RecordFacts,
  ) {}

  static from(record: Buffer): RecordItem {
    const nul = record.lastIndexOf(NUL);
    if (nul < 0) {
      // the format before pre-serialized records: encode it now (same output)
      const c = JSON.parse(record.toString('utf8')) as Campaign;
      return RecordItem.from(Buffer.from(encodeCampaignRecord(c)));
    }
    const [start_date = '', end_date = '', budget, spend, channel = '', status = ''] = record.toString('latin1', nul + 1).split('|');
    return new RecordItem(record.subarray(0, nul), { start_date, end_date, budget: Number(budget), spend: Number(spend), channel, status });
  }

  /** `kpis.budget_pacing` as of `asOf`, rounded as the JSON shows it: the only part of the item that moves with the clock. */
  pacing(asOf: Date): number | null {
    const f = this.facts;
    return roundKpi(budgetPacing(f.budget, f.spend, f.start_date, f.end_date, asOf), KPI_PLACES.budget_pacing);
  }

  /** The item's JSON with that pacing: the record's head, budget_pacing, and the closing of `kpis` and of the item. */
  json(pacing: number | null): Buffer[] {
    return [this.head, Buffer.from(`${JSON.stringify(pacing)}}}`, 'latin1')];
  }
}
