import { DEFAULT_SHUTDOWN_TIMEOUT_MS, shutdownTelemetry, startTelemetry } from './sdk';

/*
 * Preloaded before the application: `node --require ./dist/services/src/telemetry/instrumentation.js
 * dist/services/src/main.js <role>`. Patching http, express and ioredis only works if this runs before
 * they are first required, hence a file of its own and no application imports here.
 *
 * Signals belong to the roles: each role's SIGTERM path ends with `await shutdownTelemetry(ms)` (from
 * ./sdk). A process that simply runs out of work (a task) is flushed here, on 'beforeExit'.
 */
if (startTelemetry()) {
  // 'beforeExit' means the application has nothing left to do; only the flush (and, with an unreachable
  // collector, the exporter's retries) would keep the process alive, so it ends when the flush does.
  process.once('beforeExit', () => {
    void shutdownTelemetry(DEFAULT_SHUTDOWN_TIMEOUT_MS).finally(() => process.exit());
  });
}
