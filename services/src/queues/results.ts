import { z } from 'zod';
import { CHANNELS } from '../domain/campaign';

/**
 * What every job returns, as zod schemas: the worker validates a result before BullMQ stores it, the
 * task API documents `result` from the same schemas, and the layers above take their types from here.
 */

const channel = z.enum(CHANNELS);
const count = z.number().int().min(0);

export const totalsSchema = z.object({
  budget: z.number(),
  spend: z.number(),
  impressions: z.number(),
  clicks: z.number(),
  conversions: z.number(),
  revenue: z.number(),
});

/** A ratio with a zero denominator is null, never a made-up 0. */
const kpi = z.number().nullable();
export const kpisSchema = z.object({
  ctr: kpi.describe('clicks / impressions'),
  cpc: kpi.describe('spend / clicks'),
  cpm: kpi.describe('spend / impressions × 1000'),
  cpa: kpi.describe('spend / conversions'),
  conversion_rate: kpi.describe('conversions / clicks'),
  roas: kpi.describe('revenue / spend'),
  budget_pacing: kpi.describe('spend / (budget × elapsed share of the flight); > 1 overspending'),
});

/** KPIs a benchmark covers (CVR is the domain's `conversion_rate`). */
export const BENCHMARK_METRICS = ['ctr', 'cpc', 'cpa', 'conversion_rate', 'roas'] as const;
const benchmarkMetric = z.enum(BENCHMARK_METRICS);

const distributionSchema = z.object({
  p25: z.number(),
  median: z.number(),
  p75: z.number(),
  n: count.describe('campaigns with a defined value for this metric'),
});

const channelBenchmarkSchema = z.object({
  campaigns: count,
  metrics: z.partialRecord(benchmarkMetric, distributionSchema),
});

export const benchmarkSetSchema = z.object({
  refreshed_at: z.string(),
  window_days: z.number().int(),
  window_start: z.string(),
  window_end: z.string(),
  campaigns: count,
  channels: z.partialRecord(channel, channelBenchmarkSchema),
});

const campaignLineSchema = totalsSchema.extend({
  id: z.string(),
  name: z.string(),
  channel,
  status: z.string(),
  start_date: z.string(),
  end_date: z.string(),
  currency: z.string(),
  kpis: kpisSchema,
});

const channelLineSchema = totalsSchema.extend({ channel, campaigns: count, kpis: kpisSchema });

const benchmarkComparisonSchema = z.object({
  channel,
  metric: benchmarkMetric,
  value: z.number(),
  median: z.number(),
  p25: z.number(),
  p75: z.number(),
  difference_pct: z.number().nullable().describe('(value - median) / median × 100; null when the median is 0'),
  position: z.enum(['above', 'below', 'equal']),
  assessment: z.enum(['better', 'worse', 'in_line']).describe("against the median in the metric's direction; in_line inside p25..p75"),
});

export const INSIGHT_TYPES = ['best_performer', 'worst_performer', 'overspend', 'ctr_outlier', 'cpa_outlier'] as const;

const insightSchema = z.object({
  rank: z.number().int(),
  type: z.enum(INSIGHT_TYPES),
  severity: z.enum(['high', 'medium', 'low']),
  campaign_id: z.string(),
  campaign_name: z.string(),
  channel,
  title: z.string(),
  detail: z.string(),
  score: z.number(),
});

export const campaignReportSchema = z.object({
  generated_at: z.string(),
  filters: z.record(z.string(), z.unknown()),
  source: z.enum(['stored', 'inline']),
  currencies: z.array(z.string()),
  totals: totalsSchema.extend({ campaigns: count, kpis: kpisSchema }),
  campaigns: z.array(campaignLineSchema),
  channels: z.array(channelLineSchema),
  benchmarks: z.object({
    refreshed_at: z.string().nullable(),
    window_days: z.number().int().nullable(),
    comparisons: z.array(benchmarkComparisonSchema),
  }),
  insights: z.array(insightSchema),
  follow_up_questions: z.array(z.string()),
});

export const REPORT_FORMATS = ['json', 'pdf', 'xlsx'] as const;

/** A report artifact as the report jobs return it. */
export const artifactResultSchema = z.object({
  report_id: z.string(),
  format: z.enum(REPORT_FORMATS),
  content_type: z.string(),
  filename: z.string(),
  size_bytes: count,
  download_url: z.string(),
  expires_at: z.string(),
});

export const UPLOAD_FORMATS = ['csv', 'xlsx'] as const;

const rowErrorSchema = z.object({
  row: z.number().int().describe('row number as a spreadsheet shows it: the header is row 1'),
  column: z.string().describe('the column as the file names it (or the expected field when the file has no such column)'),
  reason: z.string(),
});

export const uploadSummarySchema = z.object({
  upload_id: z.string(),
  filename: z.string(),
  format: z.enum(UPLOAD_FORMATS),
  rows_total: count,
  rows_imported: count,
  rows_invalid: count,
  errors: z.array(rowErrorSchema).describe('the first problems; errors_total counts all of them'),
  errors_total: count,
  errors_truncated: z.boolean(),
  columns: z.record(z.string(), z.string()).describe('file column → campaign field'),
  ignored_columns: z.array(z.string()),
});

export const cleanupSummarySchema = z.object({
  artifacts_removed: count,
  removed_ids: z.array(z.string()),
  uploads_removed: count.describe('uploaded files past UPLOAD_TTL_SECONDS removed from the blob store'),
  partial_writes_removed: count.describe('temporary files of writes killed mid-way (filesystem backend), removed after a day'),
  bytes_freed: count.describe('bytes removed from the blob store (artifacts, uploads and partial writes)'),
  jobs_removed: z.record(z.string(), count),
  cutoff: z.string(),
});

/** What backup_data returns: the snapshot it wrote and what the retention kept and removed. */
export const backupResultSchema = z.object({
  key: z.string().describe('blob store key of the snapshot, backups/<timestamp>.rdb'),
  size_bytes: count,
  took_ms: count,
  kept: z.array(z.string()).describe('backups kept by the retention (BACKUP_KEEP_DAILY, BACKUP_KEEP_WEEKLY)'),
  removed: z.array(z.string()).describe('older backups this run deleted'),
});

const queueHealthSchema = z.object({
  waiting: count,
  active: count,
  delayed: count,
  failed: count,
  failed_last_hour: count,
  oldest_waiting_seconds: z.number().nullable(),
  workers: count,
});

export const healthReportSchema = z.object({
  status: z.enum(['ok', 'fail']),
  checked_at: z.string(),
  redis: z.object({
    latency_ms: z.number(),
    used_memory_bytes: count,
    maxmemory_bytes: count.describe('0: no maxmemory set'),
    memory_used_percent: z
      .number()
      .nullable()
      .describe('used / maxmemory in percent, null without a maxmemory: the headroom before writes and enqueues fail (noeviction)'),
  }),
  queues: z.record(z.string(), queueHealthSchema),
  thresholds: z.object({
    max_redis_latency_ms: z.number(),
    max_backlog: z.number(),
    max_oldest_waiting_seconds: z.number(),
    max_failed_last_hour: z.number(),
    min_workers: z.number(),
    max_redis_memory_percent: z.number(),
  }),
  failures: z.array(z.string()).describe('one line per crossed threshold; empty when healthy'),
});

export type Totals = z.infer<typeof totalsSchema>;
export type Kpis = z.infer<typeof kpisSchema>;
export type BenchmarkMetric = z.infer<typeof benchmarkMetric>;
export type Distribution = z.infer<typeof distributionSchema>;
export type ChannelBenchmark = z.infer<typeof channelBenchmarkSchema>;
export type BenchmarkSet = z.infer<typeof benchmarkSetSchema>;
export type CampaignLine = z.infer<typeof campaignLineSchema>;
export type ChannelLine = z.infer<typeof channelLineSchema>;
export type BenchmarkComparison = z.infer<typeof benchmarkComparisonSchema>;
export type InsightType = (typeof INSIGHT_TYPES)[number];
export type Insight = z.infer<typeof insightSchema>;
export type CampaignReport = z.infer<typeof campaignReportSchema>;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];
export type ArtifactResult = z.infer<typeof artifactResultSchema>;
export type RowError = z.infer<typeof rowErrorSchema>;
export type UploadSummary = z.infer<typeof uploadSummarySchema>;
export type CleanupSummary = z.infer<typeof cleanupSummarySchema>;
export type BackupResult = z.infer<typeof backupResultSchema>;
export type QueueHealth = z.infer<typeof queueHealthSchema>;
export type HealthReport = z.infer<typeof healthReportSchema>;
