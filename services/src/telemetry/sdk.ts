import type { RequestListener } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { getBooleanFromEnv, getStringFromEnv } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { createLogger } from '../lib/logger';
import { packageVersion } from '../lib/package-version';
import { installDiagnostics, reportTelemetryError } from './diagnostics';
import { ExportFailureReporter } from './export-failure-reporter';
import { withServerSpans } from './http-server-spans';
import { createInstrumentations } from './instrumentations';
import { rootDrawRatio, setRootDrawRatio } from './root-draw';
import { ForcedTraceSampler, rootSampleRatio, samplerFromEnv } from './sampler';
import { FALLBACK_SERVICE_NAME, SERVICE_NAMES, type Role } from './service-names';

/**
 * Defaults for standard variables, applied only when unset so the chart (or a person) can override each:
 * no cloud metadata probes, traces only (metrics are Prometheus, logs are stdout), and attribute values
 * capped because BullMQ puts job results on span events.
 */
export const ENV_DEFAULTS = {
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4096',
} as const;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Default shutdown budget when a caller gives none; well inside the roles' SIGTERM grace periods. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** The service name a process started as `main.js <role>` reports by default. */
export function defaultServiceName(argv: readonly string[] = process.argv): string {
  const role = argv[2];
  return role && Object.hasOwn(SERVICE_NAMES, role) ? SERVICE_NAMES[role as Role] : FALLBACK_SERVICE_NAME;
}

/** The name telemetry reports: `OTEL_SERVICE_NAME`, else the role's default. */
export function resolveServiceName(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  return env.OTEL_SERVICE_NAME?.trim() || defaultServiceName(argv);
}

/** The traces endpoint the OTLP/HTTP exporter posts to, for log lines. */
export function tracesEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return specific;
  const grpc = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() === 'grpc';
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || (grpc ? 'http://localhost:4317' : 'http://localhost:4318');
  return grpc ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * The OTLP exporter we build ourselves (wrapped to log each outage and its recovery): HTTP JSON, HTTP
 * protobuf (the chart's Collector) or gRPC (the chart's direct export), as `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`
 * says. For another `OTEL_TRACES_EXPORTER`, undefined: the SDK builds the exporter from the same variables.
 */
function otlpExporter(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exporters.length > 0 && !(exporters.length === 1 && exporters[0] === 'otlp')) return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim();
  if (protocol === '' || protocol === 'http/json') return new OTLPTraceExporter();
  if (protocol === 'http/protobuf') return new OTLPProtoTraceExporter();
  if (protocol === 'grpc') return new OTLPGrpcTraceExporter();
  return undefined;
}

interface TelemetryState {
  readonly sdk: NodeSDK;
  readonly log: Logger;
  readonly serviceName: string;
  readonly reporter?: ExportFailureReporter;
  shutdown?: Promise<void>;
}

// On globalThis: the preloaded copy and the roles' copy of this module must share one SDK.
const STATE = Symbol.for('pca-agent.telemetry');
type Global = typeof globalThis & { [STATE]?: TelemetryState };

function state(): TelemetryState | undefined {
  return (globalThis as Global)[STATE];
}

/**
 * Starts OpenTelemetry tracing for this process, configured by the standard `OTEL_*` variables.
 * Idempotent; returns false when `OTEL_SDK_DISABLED=true` (nothing is patched then).
 */
export function startTelemetry(argv: readonly string[] = process.argv): boolean {
  if (state()) return true;
  for (const [k, v] of Object.entries(ENV_DEFAULTS)) process.env[k] ??= v;
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return false;

  const serviceName = resolveServiceName(argv);
  // A bad LOG_LEVEL is the config schema's to report (by name), not a crash in the preload.
  const level = getStringFromEnv('LOG_LEVEL') ?? 'info';
  const log = createLogger({ service: serviceName, level: LOG_LEVELS.has(level) ? level : 'info' }).child({
    component: 'telemetry',
  });

  const config: Partial<NodeSDKConfiguration> = {
    // Lowest precedence: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (env detector) override both.
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: defaultServiceName(argv), [ATTR_SERVICE_VERSION]: packageVersion() }),
    ),
    // The standard OTEL_TRACES_SAMPLER/_ARG, defaulting to parentbased_traceidratio at 0.1 (an incoming
    // sampled traceparent is always followed); spans marked pca.trace.force are sampled at any ratio.
    // Incoming requests without a traceparent are drawn at the HTTP entry, before any span exists
    // (tracedRequests).
    instrumentations: createInstrumentations(),
    sampler: new ForcedTraceSampler(samplerFromEnv(), { drawnRootKinds: [SpanKind.SERVER, SpanKind.CONSUMER] }),
  };
  let reporter: ExportFailureReporter | undefined;
  const exporter = otlpExporter(process.env);
  if (exporter) {
    // Given a traceExporter, the SDK wraps it in a BatchSpanProcessor configured by OTEL_BSP_* (bounded queue).
    reporter = new ExportFailureReporter(exporter, log, tracesEndpoint());
    config.traceExporter = reporter;
  }
  const sdk = new NodeSDK(config);
  // After the constructor: it installs a console diag logger when OTEL_LOG_LEVEL is set.
  installDiagnostics(log);
  sdk.start();
  setRootDrawRatio(rootSampleRatio());
  (globalThis as Global)[STATE] = { sdk, log, serviceName, reporter };
  return true;
}

/**
 * The request listener an HTTP server should serve: `listener` with a SERVER span for each request
 * drawn for tracing (see withServerSpans), or `listener` itself when telemetry was not started.
 */
export function tracedRequests(listener: RequestListener): RequestListener {
  const ratio = rootDrawRatio();
  return ratio === undefined ? listener : withServerSpans(listener, { rootSampleRatio: ratio });
}

/** True once `startTelemetry` has run in this process (i.e. the preload was used and not disabled). */
export function telemetryStarted(): boolean {
  return state() !== undefined;
}

/**
 * Flushes pending spans and stops the SDK, giving up after `timeoutMs`. Never rejects; safe to call
 * twice (the second call waits for the first) and a no-op when telemetry was not started (jest,
 * `OTEL_SDK_DISABLED=true`, a process run without the preload).
 *
 * Roles own their signals; the last step of a role's shutdown, before `process.exit`, is
 *
 *   await shutdownTelemetry(Math.min(5000, msLeftBeforeTheDeadline));
 *
 * so the spans of the final requests and jobs reach the collector. `process.exit` skips 'beforeExit',
 * so the preload's own flush only covers processes that end by running out of work.
 */
export function shutdownTelemetry(timeoutMs: number = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> {
  const s = state();
  if (!s) return Promise.resolve();
  s.shutdown ??= new Promise<void>((resolve) => {
    let settled = false;
    const finish = (log?: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      log?.();
      resolve();
    };
    const timer = setTimeout(
      () => finish(() => s.log.warn({ timeout_ms: timeoutMs }, 'telemetry shutdown timed out; unsent spans are dropped')),
      timeoutMs,
    );
    timer.unref();
    const done = (err?: unknown) => {
      // During an outage the reporter has logged the cause already: summarise instead of repeating it.
      const outage = s.reporter?.outage;
      if (outage) finish(() => s.log.warn(outage, 'span export still failing at shutdown; unsent spans are dropped'));
      else if (err !== undefined) finish(() => reportTelemetryError(s.log, err, 'telemetry shutdown could not flush all spans'));
      else finish();
    };
    s.sdk.shutdown().then(
      () => done(),
      (err: unknown) => done(err ?? new Error('shutdown failed')),
    );
  });
  return s.shutdown;
}
