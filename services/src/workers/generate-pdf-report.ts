import { renderPdf } from '../reports/pdf-renderer';
import { DOMAIN_SPANS, withSpan } from '../telemetry/spans';
import type { Processor } from './processor-context';
import { reportFor, saveArtifact } from './report-data';

export const generatePdfReport: Processor<'generate_pdf_report'> = async (job, ctx) => {
  const report = await reportFor(job, ctx);
  await job.updateProgress(85);
  const body = await withSpan(DOMAIN_SPANS.renderPdf, { 'pca.report.campaigns': report.campaigns.length }, async (span) => {
    const rendered = await renderPdf(report);
    span.setAttribute('pca.render.bytes', rendered.length);
    return rendered;
  });
  return saveArtifact(job, ctx, 'pdf', body);
};
