import type { Processor } from './processor-context';
import { renderedReport } from './report-data';

export const generateExcelReport: Processor<'generate_excel_report'> = (job, ctx) => renderedReport(job, ctx, 'xlsx');
