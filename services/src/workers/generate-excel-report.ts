import { renderXlsx } from '../reports/xlsx-renderer';
import { DOMAIN_SPANS, withSpan } from '../telemetry/spans';
import type { Processor } from './processor-context';
import { reportFor, saveArtifact } from './report-data';

export const generateExcelReport: Processor<'generate_excel_report'> = async (job, ctx) => {
  const report = await reportFor(job, ctx);
  await job.updateProgress(85);
  const body = await withSpan(DOMAIN_SPANS.renderXlsx, { 'pca.report.campaigns': report.campaigns.length }, async (span) => {
    const rendered = await renderXlsx(report);
    span.setAttribute('pca.render.bytes', rendered.length);
    return rendered;
  });
  return saveArtifact(job, ctx, 'xlsx', body);
};
