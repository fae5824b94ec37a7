import type { Processor } from './processor-context';
import { reportFor, saveArtifact } from './report-data';

/** The analysis as JSON: returned as the task's result and kept as a downloadable artifact. */
export const generateCampaignReport: Processor<'generate_campaign_report'> = async (job, ctx) => {
  const report = await reportFor(job, ctx);
  const artifact = await saveArtifact(job, ctx, 'json', Buffer.from(JSON.stringify(report)));
  return { ...artifact, report };
};
