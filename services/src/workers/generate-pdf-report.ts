import type { Processor } from './processor-context';
import { renderedReport } from './report-data';

export const generatePdfReport: Processor<'generate_pdf_report'> = (job, ctx) => renderedReport(job, ctx, 'pdf');
