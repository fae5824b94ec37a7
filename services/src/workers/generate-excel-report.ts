import { renderXlsx } from '../reports/xlsx-renderer';
import type { Processor } from './processor-context';
import { reportFor, saveArtifact } from './report-data';

export const generateExcelReport: Processor<'generate_excel_report'> = async (job, ctx) => {
  const report = await reportFor(job, ctx);
  await job.updateProgress(85);
  return saveArtifact(job, ctx, 'xlsx', await renderXlsx(report));
};
