import { downloadUrl, type ArtifactResult, type ReportInput } from '../queues/contract';
import { buildReport, type ReportCampaign } from '../reports/report-builder';
import type { CampaignReport } from '../reports/report-types';
import type { ArtifactFormat } from '../storage/artifact-store';
import { loadBenchmarks } from '../storage/json-records';
import { DOMAIN_SPANS, withSpan } from '../telemetry/spans';

const RENDER_SPANS = { pdf: DOMAIN_SPANS.renderPdf, xlsx: DOMAIN_SPANS.renderXlsx } as const;

/** The PDF and XLSX jobs: build the report, render it in its own span, store it as the job's artifact. */
export async function renderedReport(
  job: JobLike<ReportInput>,
  ctx: ProcessorContext,
  format: keyof typeof RENDER_SPANS,
  render: (report: CampaignReport) => Promise<Buffer>,
): Promise<ArtifactResult> {
  const report = await reportFor(job, ctx);
  await job.updateProgress(85);
  const body = await withSpan(RENDER_SPANS[format], { 'pca.report.campaigns': report.campaigns.length }, async (span) => {
    const rendered = await render(report);
    span.setAttribute('pca.render.bytes', rendered.length);
    return rendered;
  });
  return saveArtifact(job, ctx, format, body);
}
import { reportIdFor, type JobLike, type ProcessorContext } from './processor-context';

/**
 * Builds the report the three report jobs share: from inline rows, or from stored campaigns matching
 * the filters (streamed from the store in chunks). Progress goes to the job (0-80%; rendering is the rest).
 */
export function reportFor(job: JobLike<ReportInput>, ctx: ProcessorContext): Promise<CampaignReport> {
  const source = job.data.campaigns ? 'inline' : 'stored';
  return withSpan(DOMAIN_SPANS.buildReport, { 'pca.report.source': source }, async (span) => {
    const report = await buildFor(job, ctx);
    span.setAttribute('pca.report.campaigns', report.campaigns.length);
    return report;
  });
}

async function buildFor(job: JobLike<ReportInput>, ctx: ProcessorContext): Promise<CampaignReport> {
  const input = job.data;
  const benchmarks = await loadBenchmarks(ctx.redis, ctx.cfg.REDIS_KEY_PREFIX);
  const now = ctx.now();
  if (input.campaigns) {
    const rows: ReportCampaign[] = input.campaigns.map((c, i) => ({ ...c, id: c.id ?? `row-${i + 1}` }));
    return buildReport([rows], { now, benchmarks, filters: {}, source: 'inline' });
  }
  const filters = {
    campaign_ids: input.campaign_ids,
    channel: input.channel,
    start_date: input.start_date,
    end_date: input.end_date,
  };
  const expected = input.campaign_ids?.length ?? (await ctx.store.count());
  return buildReport(
    ctx.store.iterate({ ids: input.campaign_ids, channel: input.channel, from: input.start_date, to: input.end_date }),
    {
      now,
      benchmarks,
      filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
      source: 'stored',
      onProgress: (read) => job.updateProgress(Math.min(80, Math.round((read / Math.max(expected, 1)) * 80))),
    },
  );
}

/** Stores a rendered report under the job's report id and describes it for the job's result. */
export async function saveArtifact(
  job: JobLike,
  ctx: ProcessorContext,
  format: ArtifactFormat,
  body: Buffer,
): Promise<ArtifactResult> {
  const id = reportIdFor(job);
  const meta = await ctx.artifacts.put(id, body, {
    format,
    filename: `campaign-report-${ctx.now().toISOString().slice(0, 10)}-${id.slice(4, 12)}.${format}`,
    job_id: job.id ?? 'inline',
  });
  await job.updateProgress(100);
  return {
    report_id: id,
    format,
    content_type: meta.content_type,
    filename: meta.filename,
    size_bytes: meta.size_bytes,
    download_url: downloadUrl(id),
    expires_at: meta.expires_at,
  };
}
