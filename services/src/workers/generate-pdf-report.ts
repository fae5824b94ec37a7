import { renderPdf } from '../reports/pdf-renderer';
import type { Processor } from './processor-context';
import { reportFor, saveArtifact } from './report-data';

export const generatePdfReport: Processor<'generate_pdf_report'> = async (job, ctx) => {
  const report = await reportFor(job, ctx);
  await job.updateProgress(85);
  return saveArtifact(job, ctx, 'pdf', await renderPdf(report));
};
