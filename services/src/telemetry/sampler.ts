import { diag, isSpanContextValid, SpanKind, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';

/** A span started with this attribute set to true is always sampled (a failure no sampled trace covers). */
export const FORCE_TRACE_ATTRIBUTE = 'pca.trace.force';

/** The standard `OTEL_TRACES_SAMPLER` default here; with `OTEL_TRACES_SAMPLER_ARG` at DEFAULT_SAMPLE_RATIO. */
export const DEFAULT_SAMPLER = 'parentbased_traceidratio';
/** The standard sampler names `samplerFromEnv` builds (the chart's `tracing.sampler` offers these). */
export const SUPPORTED_SAMPLERS = ['parentbased_traceidratio', 'traceidratio', 'parentbased_always_on', 'always_on', 'parentbased_always_off', 'always_off'] as const;
export const DEFAULT_SAMPLE_RATIO = 0.1;

function ratioFrom(arg: string | undefined): number {
  const ratio = arg === undefined || arg.trim() === '' ? Number.NaN : Number(arg);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return ratio;
  if (arg !== undefined) diag.warn(`OTEL_TRACES_SAMPLER_ARG="${arg}" is not a ratio in [0, 1]; using ${DEFAULT_SAMPLE_RATIO}`);
  return DEFAULT_SAMPLE_RATIO;
}

/**
 * The sampler the standard variables name (the spec's values, as the SDK reads them), where an unset or
 * unknown `OTEL_TRACES_SAMPLER` means `parentbased_traceidratio` and a missing ratio means 0.1.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim() || DEFAULT_SAMPLER;
  const ratio = () => new TraceIdRatioBasedSampler(ratioFrom(env.OTEL_TRACES_SAMPLER_ARG));
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      diag.warn(`OTEL_TRACES_SAMPLER="${name}" is not supported here; using ${DEFAULT_SAMPLER}`);
      return new ParentBasedSampler({ root: ratio() });
  }
}

/**
 * The share of new traces the configured sampler keeps (1 for always_on, 0 for always_off). An incoming
 * request without a traceparent, and a job enqueued outside any trace, is admitted to tracing with this
 * probability before any span exists (withServerSpans, ConsumerSpans; startTelemetry hands it to them
 * through root-draw.ts): an unsampled request traced anyway cost about as much CPU as a sampled one.
 */
export function rootSampleRatio(env: NodeJS.ProcessEnv = process.env): number {
  const name = env.OTEL_TRACES_SAMPLER?.trim() || DEFAULT_SAMPLER;
  if (name === 'always_on' || name === 'parentbased_always_on') return 1;
  if (name === 'always_off' || name === 'parentbased_always_off') return 0;
  return ratioFrom(env.OTEL_TRACES_SAMPLER_ARG);
}

export interface ForcedTraceSamplerOptions {
  /**
   * Root spans of these kinds are sampled: their entry point has drawn them at `rootSampleRatio`
   * already (an HTTP request or a job it did not draw gets no span at all). @default []
   */
  readonly drawnRootKinds?: readonly SpanKind[];
}

/**
 * The configured sampler, except that a span started with `pca.trace.force=true` is always recorded and
 * sampled. Such spans are roots linked to the unsampled span they stand in for (a failed job, a 5xx), so
 * failures reach the backend at any ratio while their trace stays whole.
 */
export class ForcedTraceSampler implements Sampler {
  constructor(
    private readonly inner: Sampler,
    private readonly opts: ForcedTraceSamplerOptions = {},
  ) {}

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (attributes[FORCE_TRACE_ATTRIBUTE] === true) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    if (this.opts.drawnRootKinds?.includes(spanKind)) {
      const parent = trace.getSpanContext(context);
      if (!parent || !isSpanContextValid(parent)) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    return this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `ForcedTraceSampler{${this.inner.toString()}}`;
  }
}
