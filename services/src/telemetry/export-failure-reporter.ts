import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** Where the reporter writes; a pino logger fits. */
export interface ExportFailureLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Marks errors this reporter already logged, so the global error handler does not log them again. */
export const REPORTED = Symbol.for('pca-agent.telemetry.export-error-reported');

/**
 * Wraps a span exporter so that an unreachable endpoint costs one log line, not one per batch: the first
 * failure is logged, later failures only counted, and the first success after failures logs a recovery.
 * Results pass through unchanged; the batch processor still sees failures (and drops those spans).
 */
export class ExportFailureReporter implements SpanExporter {
  private failing = false;
  private failedBatches = 0;
  private failedSpans = 0;
  private totalFailedBatches = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly log: ExportFailureLog,
    private readonly endpoint: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      this.inner.export(spans, (result) => {
        this.record(result, spans.length);
        resultCallback(result);
      });
    } catch (err) {
      const result: ExportResult = { code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) };
      this.record(result, spans.length);
      resultCallback(result);
    }
  }

  /** Batches that failed since the process started. */
  get failures(): number {
    return this.totalFailedBatches;
  }

  /** The current outage, if any: batches and spans lost since the last successful export. */
  get outage(): { failed_batches: number; failed_spans: number; endpoint: string } | undefined {
    if (!this.failing) return undefined;
    return { failed_batches: this.failedBatches, failed_spans: this.failedSpans, endpoint: this.endpoint };
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private record(result: ExportResult, spanCount: number): void {
    if (result.code === ExportResultCode.SUCCESS) {
      if (this.failing) {
        this.log.info(
          { failed_batches: this.failedBatches, failed_spans: this.failedSpans, endpoint: this.endpoint },
          'span export recovered',
        );
      }
      this.failing = false;
      this.failedBatches = 0;
      this.failedSpans = 0;
      return;
    }
    this.totalFailedBatches++;
    this.failedBatches++;
    this.failedSpans += spanCount;
    if (result.error) (result.error as Error & { [REPORTED]?: boolean })[REPORTED] = true;
    if (this.failing) return;
    this.failing = true;
    this.log.warn(
      { err: result.error, endpoint: this.endpoint },
      'span export failed; spans are dropped and further failures are not logged until an export succeeds',
    );
  }
}
