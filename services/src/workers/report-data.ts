import { downloadUrl, type ArtifactResult, type ReportInput } from '../queues/contract';
import { renderOffThread } from '../reports/render-off-thread';
import { buildReport, type ReportCampaign } from '../reports/report-builder';
import type { CampaignReport } from '../reports/report-types';
import type { ArtifactFormat, ArtifactMeta } from '../storage/artifact-store';
import { loadBenchmarks } from '../storage/json-records';
import { DOMAIN_SPANS, withSpan } from '../telemetry/spans';

const RENDER_SPANS = { pdf: DOMAIN_SPANS.renderPdf, xlsx: DOMAIN_SPANS.renderXlsx } as const;

/**
 * The PDF and XLSX jobs: build the report, render it in a worker thread (in its own span), store it as
 * the job's artifact. A job whose artifact already exists (a manual retry of a completed job) returns
 * that artifact unchanged instead of replacing it.
 */
export async function renderedReport(job: JobLike<ReportInput>, ctx: ProcessorContext, format: keyof typeof RENDER_SPANS): Promise<ArtifactResult> {
  const earlier = await existingArtifact(job, ctx);
  if (earlier) return earlier.result;
  const report = await reportFor(job, ctx);
  await job.updateProgress(85);
  const body = await withSpan(RENDER_SPANS[format], { 'pca.report.campaigns': report.campaigns.length }, async (span) => {
    const rendered = await renderOffThread(format, report, job.signal);
    span.setAttribute('pca.render.bytes', rendered.length);
    return rendered;
  });
  job.signal?.throwIfAborted();
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
    return buildReport([rows], { now, benchmarks, filters: {}, source: 'inline', signal: job.signal });
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
      signal: job.signal,
      onProgress: (read) => job.updateProgress(Math.min(80, Math.round((read / Math.max(expected, 1)) * 80))),
    },
  );
}

function describe(meta: ArtifactMeta): ArtifactResult {
  return {
    report_id: meta.report_id,
    format: meta.format,
    content_type: meta.content_type,
    filename: meta.filename,
    size_bytes: meta.size_bytes,
    download_url: downloadUrl(meta.report_id),
    expires_at: meta.expires_at,
  };
}

/**
 * The artifact an earlier attempt of this job stored, if any: report ids derive from the job id, and
 * an artifact is written only when its attempt succeeded, so one that exists is that success's result.
 */
export async function existingArtifact(job: JobLike, ctx: ProcessorContext): Promise<{ result: ArtifactResult; body: Buffer } | null> {
  const found = await ctx.artifacts.get(reportIdFor(job));
  if (!found) return null;
  ctx.logger.info({ job: job.name, job_id: job.id, report_id: found.meta.report_id }, 'report already rendered by an earlier attempt; returning it unchanged');
  await job.updateProgress(100);
  return { result: describe(found.meta), body: found.body };
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
  return describe(meta);
}
