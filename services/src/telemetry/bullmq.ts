import { BullMQOtel } from 'bullmq-otel';

/**
 * BullMQ's telemetry adapter: the span that adds a job carries its context in the job's options
 * (not in job.data), and the worker's processing span continues that trace.
 */
export function queueTelemetry(): BullMQOtel {
  return new BullMQOtel({ tracerName: 'pca-agent' });
}
