/**
 * The service name each role of `main.js` reports (OpenTelemetry `service.name` and the logs'
 * `service.name`) unless `OTEL_SERVICE_NAME` says otherwise. No imports: the chart code reads it too.
 */
export const SERVICE_NAMES = {
  api: 'pca-agent-api',
  worker: 'pca-agent-worker',
  dashboard: 'pca-agent-dashboard',
  task: 'pca-agent-task',
} as const;

export type Role = keyof typeof SERVICE_NAMES;

/** What a process that is none of the roles (a script, a fixture) reports. */
export const FALLBACK_SERVICE_NAME = 'pca-agent';

/**
 * The names the one-shot tools give their logs and Redis connections (`CLIENT LIST` shows who is connected).
 * Not roles: their telemetry reports FALLBACK_SERVICE_NAME.
 */
export const TOOL_NAMES = {
  seed: 'pca-agent-seed',
  restore: 'pca-agent-restore',
} as const;
