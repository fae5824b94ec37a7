import { CampaignStore } from '../../services/src/domain/campaign-store';
import { seedCampaigns } from '../../services/src/domain/seed';
import type { BenchContext } from '../context';
import { runJobInFreshWorker } from './upload';

const JOBS = { pdf: 'generate_pdf_report', xlsx: 'generate_excel_report' } as const;

/** Figure 5: PDF and XLSX reports over the stored campaigns, each job in a fresh worker process. */
export async function benchReports(ctx: BenchContext): Promise<void> {
  const { opts, figures } = ctx;
  const prefix = `${ctx.basePrefix}.rp`;
  const n = await seedCampaigns(new CampaignStore(ctx.redis, prefix), { count: opts.reports.campaigns, seed: 7 });
  for (const format of ['pdf', 'xlsx'] as const) {
    const seconds: number[] = [];
    const peakMb: number[] = [];
    let sizeKb = 0;
    for (let r = 0; r < opts.rounds; r++) {
      const { completed } = await runJobInFreshWorker(ctx, prefix, 'reports', JOBS[format], {});
      seconds.push((completed.finished_on - completed.processed_on) / 1000);
      peakMb.push(completed.memory_kb.hwm / 1024);
      sizeKb = (JSON.parse(completed.result) as { size_bytes: number }).size_bytes / 1024;
      ctx.log(`reports: ${format} round ${r + 1}: ${seconds.at(-1)!.toFixed(2)} s`);
    }
    figures.add(`report_${format}_time`, 's', seconds, { note: `${n} campaigns, ${sizeKb.toFixed(0)} kB file` });
    figures.add(`report_${format}_peak_rss`, 'MB', peakMb, { note: 'worker VmHWM' });
  }
}
