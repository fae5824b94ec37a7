import type { Channel } from '../../services/src/domain/campaign';
import type { ReportCampaign } from '../../services/src/reports/report-builder';

/** A campaign on 1-30 June 2026 with the given numbers. */
export function campaign(id: string, channel: Channel, t: Partial<ReportCampaign>): ReportCampaign {
  return {
    id,
    name: `Campaign ${id}`,
    channel,
    status: 'active',
    start_date: '2026-06-01',
    end_date: '2026-06-30',
    budget: 0,
    spend: 0,
    impressions: 0,
    clicks: 0,
    conversions: 0,
    revenue: 0,
    currency: 'USD',
    ...t,
  };
}

/** Four campaigns whose KPIs are computed by hand in test/reports/report-builder.test.ts. */
export const DATASET: ReportCampaign[] = [
  campaign('A', 'search', { budget: 1000, spend: 500, impressions: 10_000, clicks: 500, conversions: 50, revenue: 2000 }),
  campaign('B', 'search', { budget: 1000, spend: 900, impressions: 20_000, clicks: 200, conversions: 5, revenue: 450 }),
  campaign('C', 'social', {
    budget: 2000, spend: 1000, impressions: 50_000, clicks: 1000, conversions: 40, revenue: 3000,
    start_date: '2026-05-01', end_date: '2026-05-31', status: 'completed',
  }),
  campaign('D', 'display', { budget: 500, spend: 250, impressions: 100_000, clicks: 50, conversions: 0, revenue: 0 }),
];

