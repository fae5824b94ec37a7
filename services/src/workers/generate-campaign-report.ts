import type { CampaignReport } from '../reports/report-types';
import type { Processor } from './processor-context';
import { existingArtifact, reportFor, saveArtifact } from './report-data';

/**
 * The analysis as JSON: returned as the task's result and kept as a downloadable artifact. A manual
 * retry of a completed job returns the stored report unchanged.
 */
export const generateCampaignReport: Processor<'generate_campaign_report'> = async (job, ctx) => {
  const earlier = await existingArtifact(job, ctx);
  if (earlier) return { ...earlier.result, report: JSON.parse(earlier.body.toString('utf8')) as CampaignReport };
  const report = await reportFor(job, ctx);
  job.signal?.throwIfAborted();
  const artifact = await saveArtifact(job, ctx, 'json', Buffer.from(JSON.stringify(report)));
  return { ...artifact, report };
};
